"""The real national routes in services.yaml are exactly those of shared/DOMAIN.md section 2."""

from __future__ import annotations

from bot.catalogue_types import Catalogue

# Copied from shared/DOMAIN.md section 2 (phone numbers and web addresses only).
DOMAIN_ROUTES: dict[str, tuple[tuple[str, ...], str]] = {
    "emergency-999": (("999",), ""),
    "police-101": (("101",), ""),
    "nhs-111": (("111",), ""),
    "childline": (("0800 1111",), "childline.org.uk"),
    "samaritans": (("116 123",), ""),
    "shout": ((), ""),
    "the-mix": ((), ""),
    "papyrus": (("0800 068 4141",), ""),
    "fearless": ((), "fearless.org"),
    "crimestoppers": (("0800 555 111",), ""),
    "nspcc": (("0808 800 5000",), ""),
    "runaway-helpline": (("116 000",), ""),
    "kooth": ((), "kooth.com"),
    "national-domestic-abuse-helpline": (("0808 2000 247",), "nationaldahelpline.org.uk"),
    "report-remove": ((), "childline.org.uk"),
    "ceop": ((), "ceop.police.uk"),
    "rape-crisis": (("0808 500 2222",), ""),
}


def test_every_real_route_is_one_domain_md_gives_with_its_exact_contact(
        shipped: Catalogue) -> None:
    real = {s.id: s for s in shipped.services.values() if not s.sample}
    assert set(real) == set(DOMAIN_ROUTES)
    for sid, (phones, site) in DOMAIN_ROUTES.items():
        svc = real[sid]
        assert tuple(p.number for p in svc.phones) == phones, sid
        if site:
            assert site in (svc.url or ""), sid


def test_rape_crisis_is_for_16_plus_and_report_remove_and_ceop_for_under_18s(
        shipped: Catalogue) -> None:
    s = shipped.services
    assert s["rape-crisis"].minimum_age == 16
    assert s["report-remove"].maximum_age == 17 and s["ceop"].maximum_age == 17
    assert "not anonymous" in s["ceop"].description.lower()
