"""Shipments hold tracking data only; the recipient's details stay in orders.Delivery."""

from lookout.core.inventory import ORDER_RETENTION, NotPersonal
from lookout.shipping.models import Shipment, TrackingEvent

R = ORDER_RETENTION

FIELDS = {
    Shipment: {
        "id": NotPersonal("random row id", retention=R),
        "order": NotPersonal("which order", retention=R),
        "carrier": NotPersonal("carrier company name", retention=R),
        "tracking_number": NotPersonal("carrier's random parcel number", retention=R),
        "status": NotPersonal("where the parcel is", retention=R),
        "created_at": NotPersonal("when the label was made", retention=R),
        "updated_at": NotPersonal("last tracking update", retention=R),
    },
    TrackingEvent: {
        "id": NotPersonal("random row id", retention=R),
        "event_id": NotPersonal("carrier's random event id (replay protection)", retention=R),
        "shipment": NotPersonal("which parcel", retention=R),
        "return_ref": NotPersonal(
            "which return parcel (a return request's random id)", retention=R
        ),
        "status": NotPersonal("tracking status", retention=R),
        "occurred_at": NotPersonal("when the carrier saw it", retention=R),
        "received_at": NotPersonal("when the store received it", retention=R),
    },
}
