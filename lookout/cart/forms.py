"""Input of the cart forms; anything else a visitor sends is refused with a message."""

from django import forms

from lookout.cart.services import MAX_QUANTITY


class AddForm(forms.Form):
    cart = forms.CharField(required=False, max_length=64)
    sku = forms.CharField(max_length=32)
    quantity = forms.IntegerField(min_value=1, max_value=MAX_QUANTITY, initial=1)


class QuantityForm(forms.Form):
    sku = forms.CharField(max_length=32)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_QUANTITY)


def first_error(form: forms.Form) -> str:
    for field, errors in form.errors.items():
        label = ""
        if field in form.fields:
            label = str(form.fields[field].label or field.replace("_", " ").capitalize())
        return f"{label}: {errors[0]}" if label else str(errors[0])
    return "That request was not valid."
