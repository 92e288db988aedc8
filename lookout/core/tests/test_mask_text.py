from lookout.core.logging import mask_text


def test_bearer_tokens_in_urls_are_masked() -> None:
    line = (
        "GET /cart/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd/update/?cart=AbCdEfGhIjKlMnOpQr 400"
    )
    masked = mask_text(line)
    assert "AbCdEfGhIjKlMnOp" not in masked
    assert masked == "GET /cart/[token]/update/?cart=[token] 400"


def test_uuids_are_not_mistaken_for_card_numbers() -> None:
    target = "accounts.User:52575325-2357-452c-87c1-4b49d507289c"
    assert mask_text(target) == target


def test_card_numbers_with_or_without_separators_are_masked() -> None:
    for card in ("4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4242"):
        assert mask_text(f"paid with {card}.") == "paid with [number]."
