"""The Save pcap dialog (p on the lab screen) inside 80 columns: its words
were cut at the edge ("Esc cancel", "credentials sent in clear included")
and it had no right border."""

from __future__ import annotations

import pytest

from tutor.screens.save_pcap import SavePcapScreen


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_save_pcap_dialog_fits_the_screen(app, size):
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        app.push_screen(SavePcapScreen("/tmp/tutor-dns.pcap"))
        await pilot.pause()
        await pilot.pause()
        box = app.screen.query_one("Vertical")
        assert box.region.right <= size[0], box.region
        rows = [strip.text for strip in app.screen._compositor.render_strips()]
        said = " ".join(" ".join(r.replace("█", " ").split()) for r in rows)
        assert "Enter saves, Esc cancels." in said, said
        assert "credentials sent in clear included." in said, said
        assert sum("█" in r for r in rows) >= 4  # both borders on the dialog's rows (thick: █)
        assert all(r.count("█") in (0, 2) for r in rows), "\n".join(rows)
