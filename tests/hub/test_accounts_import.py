"""CSV import: parsing, and the per-provider connection limit while many accounts verify at once."""

from __future__ import annotations

from pathlib import Path

from conftest_accounts import aliyun_hub_fixture, hub_home_fixture  # noqa: F401  (fixtures)

from mailhub.accounts.importer import read_rows

MAIN = "Main-Passw0rd!"


def test_read_rows_skips_header_blank_and_comment_lines(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text(
        "\ufeff邮箱,密码,姓名\n"
        "A@Example.cn, secret one ,Ann\n"
        "\n"
        "# a note\n"
        "b@example.cn,\n"
        "a@example.cn,again\n"
        '"c@example.cn","p,with,commas"\n',
        encoding="utf-8",
    )
    rows, problems = read_rows(csv_file)
    assert [(r.line, r.email, r.password.reveal(), r.name) for r in rows] == [
        (2, "a@example.cn", "secret one", "Ann"),
        (7, "c@example.cn", "p,with,commas", None),
    ]
    assert [(p.line, p.error_code) for p in problems] == [(5, "csv_no_password"), (6, "csv_duplicate")]
    assert "secret one" not in repr(rows)


async def test_import_respects_the_per_provider_connection_limit(aliyun_hub, tmp_path: Path) -> None:
    lines = []
    for number in range(5):
        address = aliyun_hub.user(f"bulk{number}", MAIN)
        lines.append(f"{address},{aliyun_hub.client_password(address)}")
    csv_file = tmp_path / "bulk.csv"
    csv_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    service = aliyun_hub.service(connections_per_provider=2, import_concurrency=5)
    seen = []
    try:
        summary = await service.import_csv(csv_file, on_result=seen.append)
    finally:
        service.close()
    assert summary.counts == {"normal": 5}
    assert len(seen) == 5
    assert 1 <= service.peak_in_flight["aliyun-standard"] <= 2
