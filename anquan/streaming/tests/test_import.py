"""History import: CSV (comma and semicolon), Excel, wide and long layouts, the preview, rejects kept as
dead letters, idempotence, and the background task through the real database queue."""

from __future__ import annotations

import datetime as dt
import io
import signal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from openpyxl import Workbook

from anquan.conftest import World
from anquan.monitoring.models import Reading, Rollup
from anquan.streaming import imports, selectors, services, tasks
from anquan.streaming.choices import ImportStatus, RejectReason
from anquan.streaming.models import DeadLetter, HistoryImport

SHANGHAI = ZoneInfo("Asia/Shanghai")


def ms(*args: int, tz: dt.tzinfo = SHANGHAI) -> int:
    return int(dt.datetime(*args, tzinfo=tz).timestamp() * 1000)  # type: ignore[misc]


def upload(name: str, content: str | bytes, encoding: str = "utf-8") -> SimpleUploadedFile:
    data = content.encode(encoding) if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "数据"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(world: World, file: SimpleUploadedFile, user: str = "admin_a") -> HistoryImport:
    """Stage, confirm and run (the task body, in this test's transaction)."""
    staged = services.stage_import(world.user(user), site=world.site_a, upload=file)
    history = services.start_import(world.user(user), site=world.site_a, token=staged.token)
    assert tasks.import_history.call(history.pk) in (ImportStatus.DONE, ImportStatus.FAILED)
    history.refresh_from_db()
    return history


def stored(world: World, code: str) -> list[tuple[int, float]]:
    return list(Reading.objects.filter(tag=world.tags[code]).order_by("ts").values_list("ts", "value"))


WIDE = "时间,TI-101,PI-201 (MPa),XX-9\n2026-01-05 08:00:00,21.5,0.8,1\n2026-01-05 08:00:10,21.6,,2\n"


# --- preview ------------------------------------------------------------------------------------
def test_preview_of_a_wide_csv(world: World) -> None:
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    p = staged.preview
    assert (p.kind, p.delimiter, p.encoding, p.format) == ("csv", ",", "utf-8", "wide")
    assert p.ts_column == "时间"
    assert p.recognised == ["TI-101", "PI-201"]  # "PI-201 (MPa)": a unit suffix is allowed
    assert p.unknown == ["XX-9"]
    assert p.rows == [["2026-01-05 08:00:00", "21.5", "0.8", "1"], ["2026-01-05 08:00:10", "21.6", "", "2"]]
    assert (p.scanned, p.readings, p.problems, p.more_rows) == (2, 3, {}, False)
    assert (p.first_ts, p.last_ts) == (ms(2026, 1, 5, 8, 0, 0), ms(2026, 1, 5, 8, 0, 10))
    assert p.ok and p.error == ""
    assert HistoryImport.objects.count() == 0  # nothing imported yet


def test_preview_of_a_long_csv_with_semicolons_lists_unknown_codes_and_problems(world: World) -> None:
    text = "ts;tag;value\n1767571200000;TI-101;21,5\n1767571210000;FOO-1;3\n1767571220000;TI-101;abc\n"
    p = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("l.csv", text)).preview
    assert (p.delimiter, p.format, p.tag_column, p.value_column) == (";", "long", "tag", "value")
    assert (p.recognised, p.unknown) == (["TI-101"], ["FOO-1"])
    assert p.problems == {"未知测点": 1, "非数值": 1}
    assert p.readings == 1


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("a.csv", "时间,TI-101\n", "文件中只有表头，没有数据行。"),
        (
            "a.csv",
            "foo,bar\n1,2\n",
            "列名中没有本场所的测点位号。宽表的每个数据列应以测点位号命名，如 TI-101。",
        ),
        (
            "a.csv",
            "tag,value\nTI-101,1\n",
            "找到了位号列和数值列，但没有时间列（列名应为 ts、timestamp、time 或 时间）。",
        ),
        (
            "a.csv",
            "TI-101,PI-201\n1,2\n",
            "没有找到时间列：第一列应为时间（列名如 ts、timestamp、time 或 时间）。",
        ),
        ("a.csv", "just one column\nx\n", "无法识别分隔符：第一行应为以逗号或分号分隔的列名。"),
        ("a.xlsx", "ts,TI-101\n", "文件扩展名为 .xlsx，但内容不是 Excel 工作簿。"),
    ],
)
def test_preview_explains_what_is_wrong(world: World, name: str, content: str, error: str) -> None:
    p = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload(name, content)).preview
    assert (p.error, p.ok) == (error, False)


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0", "只支持 CSV（.csv）和 Excel（.xlsx）文件。"),
        ("a.pdf", b"%PDF-1.4", "只支持 CSV（.csv）和 Excel（.xlsx）文件。"),
        ("a.csv", b"", "文件是空的。"),
    ],
)
def test_stage_refuses_files_it_cannot_import(world: World, name: str, content: bytes, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload(name, content))
    assert caught.value.message_dict == {"file": [error]}


def test_stage_refuses_a_file_over_the_size_limit(world: World, settings: Any) -> None:
    settings.ANQUAN_IMPORT_MAX_MB = 1
    big = upload("big.csv", b"ts,TI-101\n" + b"1767571200000,1\n" * 80_000)
    with pytest.raises(ValidationError) as caught:
        services.stage_import(world.user("admin_a"), site=world.site_a, upload=big)
    assert caught.value.message_dict == {"file": ["文件过大：最大 1 MB。"]}


# --- importing ----------------------------------------------------------------------------------
def test_a_wide_csv_is_imported(world: World) -> None:
    history = run_import(world, upload("history.csv", WIDE))
    assert (history.status, history.rows, history.accepted, history.rejected) == (ImportStatus.DONE, 2, 3, 0)
    assert history.detail == "共处理 2 行：入库 3 条读数，拒收 0 条。"
    assert history.filename == "history.csv"
    assert history.created_by == world.user("admin_a")
    assert stored(world, "TI-101") == [(ms(2026, 1, 5, 8, 0, 0), 21.5), (ms(2026, 1, 5, 8, 0, 10), 21.6)]
    assert stored(world, "PI-201") == [(ms(2026, 1, 5, 8, 0, 0), 0.8)]
    # the minute rollups of the imported period are there for the charts
    assert (
        Rollup.objects.filter(tag=world.tags["TI-101"], period=60, bucket=ms(2026, 1, 5, 8, 0, 0)).get().count
        == 2
    )


def test_a_long_csv_with_semicolons_and_decimal_commas_is_imported(world: World) -> None:
    text = "ts;tag;value;unit\n1767571200000;TI-101;21,5;°C\n1767571210;PI-201;0,75;MPa\n2026-01-05T00:00:20Z;TI-101;-3;°C\n"
    history = run_import(world, upload("long.csv", text))
    assert (history.status, history.rows, history.accepted, history.rejected) == (ImportStatus.DONE, 3, 3, 0)
    assert stored(world, "TI-101") == [(1767571200000, 21.5), (ms(2026, 1, 5, 0, 0, 20, tz=dt.UTC), -3.0)]
    assert stored(world, "PI-201") == [(1767571210000, 0.75)]


def test_an_excel_workbook_is_imported(world: World) -> None:
    content = xlsx(
        [
            ["时间", "TI-101", "PI-201"],
            [dt.datetime(2026, 1, 6, 9, 0, 0), 20, 1.25],
            [dt.datetime(2026, 1, 6, 9, 1, 0), 20.5, None],
            [None, None, None],  # a blank row is skipped
            ["2026/01/06 09:02", 21, True],
        ]
    )
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.xlsx", content))
    assert (staged.preview.kind, staged.preview.sheet, staged.preview.format) == ("xlsx", "数据", "wide")
    history = services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    tasks.import_history.call(history.pk)
    history.refresh_from_db()
    assert (history.status, history.rows, history.accepted, history.rejected) == (ImportStatus.DONE, 3, 5, 0)
    assert stored(world, "TI-101") == [
        (ms(2026, 1, 6, 9, 0, 0), 20.0),
        (ms(2026, 1, 6, 9, 1, 0), 20.5),
        (ms(2026, 1, 6, 9, 2, 0), 21.0),
    ]
    assert stored(world, "PI-201") == [(ms(2026, 1, 6, 9, 0, 0), 1.25), (ms(2026, 1, 6, 9, 2, 0), 1.0)]


def test_a_gb18030_csv_from_chinese_excel_is_read(world: World) -> None:
    history = run_import(
        world, upload("gbk.csv", "采集时间,TI-101\n2026-01-05 08:00:00,21.5\n", encoding="gb18030")
    )
    assert (history.status, history.accepted) == (ImportStatus.DONE, 1)


def test_bad_rows_are_counted_and_kept_as_dead_letters(world: World) -> None:
    text = (
        "ts,tag,value\n"
        "2026-01-05 08:00:00,TI-101,21.5\n"  # 2: good
        "2026-01-05 08:00:00,NOPE-1,1\n"  # 3: unknown tag
        "2026-01-05 08:00:00,PI-201,abc\n"  # 4: not numeric
        "2026-01-05 08:00:00,PI-201,nan\n"  # 5: NaN
        "2026-01-05 08:00:00,TI-101,inf\n"  # 6: infinite (same ts as row 2: refused anyway)
        "2026-01-05 08:00:10,TI-101,95\n"  # 7: above the range 80
        "yesterday,TI-101,20\n"  # 8: bad timestamp
        "2099-01-01 00:00:00,TI-101,20\n"  # 9: in the future
        "2026-01-05 08:00:20,PI-201,\n"  # 10: no value
        "2026-01-05 08:00:30,LI-901,5\n"  # 11: a tag of the other site
    )
    history = run_import(world, upload("bad.csv", text))
    assert (history.status, history.rows, history.accepted, history.rejected) == (ImportStatus.DONE, 10, 1, 9)
    assert stored(world, "TI-101") == [(ms(2026, 1, 5, 8, 0, 0), 21.5)]
    letters = list(
        DeadLetter.objects.order_by("id").values_list(
            "reason", "tag_code", "detail", "site_id", "connector_id"
        )
    )
    p = f"历史导入 #{history.pk} "
    site = world.site_a.pk
    assert letters == [
        (RejectReason.MALFORMED, "TI-101", p + "第 8 行：无法识别的时间“yesterday”", site, None),
        (RejectReason.NOT_NUMERIC, "PI-201", p + "第 10 行：缺少数值", site, None),
        (RejectReason.UNKNOWN_TAG, "NOPE-1", p + "第 3 行：未知测点", site, None),
        (RejectReason.NOT_NUMERIC, "PI-201", p + "第 4 行：数值无法识别", site, None),
        (RejectReason.NOT_FINITE, "PI-201", p + "第 5 行：数值为 NaN 或无穷大", site, None),
        (RejectReason.NOT_FINITE, "TI-101", p + "第 6 行：数值为 NaN 或无穷大", site, None),
        (RejectReason.OUT_OF_RANGE, "TI-101", p + "第 7 行：95 超出量程 -20 ~ 80", site, None),
        (RejectReason.FUTURE, "TI-101", p + "第 9 行：时间戳晚于当前时间", site, None),
        (RejectReason.UNKNOWN_TAG, "LI-901", p + "第 11 行：未知测点", site, None),
    ]
    assert DeadLetter.objects.get(reason=RejectReason.OUT_OF_RANGE).raw == (
        f'{{"tag": "TI-101", "ts": {ms(2026, 1, 5, 8, 0, 10)}, "value": 95.0}}'
    )
    admin = world.user("admin_a")
    counts = selectors.reason_counts(selectors.dead_letters(admin, connector=selectors.IMPORTS))
    assert counts == [
        ("not_finite", "NaN 或无穷大", 2),
        ("not_numeric", "非数值", 2),
        ("unknown_tag", "未知测点", 2),
        ("future", "时间戳超前", 1),
        ("malformed", "格式错误", 1),
        ("out_of_range", "超出仪表量程", 1),
    ]
    assert selectors.dead_letters(admin, history_import=history.pk).count() == 9
    assert selectors.dead_letters(world.user("admin_b")).count() == 0  # another site's admin sees none


def test_importing_the_same_file_twice_stores_each_reading_once(world: World) -> None:
    first = run_import(world, upload("h.csv", WIDE))
    second = run_import(world, upload("h.csv", WIDE))
    assert (first.accepted, second.accepted) == (3, 3)
    assert second.detail == "共处理 2 行：入库 3 条读数，拒收 0 条。其中 3 条此前已存在，未重复保存。"
    assert Reading.objects.count() == 3


def test_history_is_exempt_from_the_late_window(world: World, settings: Any) -> None:
    settings.ANQUAN_INGEST_LATE_WINDOW_S = 60
    history = run_import(world, upload("old.csv", "ts,TI-101\n2020-01-01 00:00:00,10\n"))
    assert (history.accepted, history.rejected) == (1, 0)


def test_progress_is_written_per_batch(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "BATCH_READINGS", 10)
    seen: list[tuple[int, int]] = []
    real_write = imports.storage.write_readings

    def write(rows: Any) -> int:
        history = HistoryImport.objects.get()
        seen.append((history.status, history.rows))
        return real_write(rows)

    monkeypatch.setattr(imports.storage, "write_readings", write)
    lines = "".join(f"{1767571200 + i},{20 + i / 10}\n" for i in range(35))
    history = run_import(world, upload("many.csv", "ts,TI-101\n" + lines))
    assert (history.rows, history.accepted) == (35, 35)
    assert seen == [
        (ImportStatus.RUNNING, 0),
        (ImportStatus.RUNNING, 10),
        (ImportStatus.RUNNING, 20),
        (ImportStatus.RUNNING, 30),
    ]


def test_an_import_that_cannot_read_its_file_fails_with_the_reason(world: World) -> None:
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    history = services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    history.file.storage.delete(history.file.name)
    with history.file.storage.open(history.file.name, "wb") as fh:
        fh.write(b"a,b\n1,2\n")  # (replaced behind its back: no tag columns any more)
    assert tasks.import_history.call(history.pk) == ImportStatus.FAILED
    history.refresh_from_db()
    assert (history.status, history.detail, history.rows) == (
        ImportStatus.FAILED,
        "列名中没有本场所的测点位号。宽表的每个数据列应以测点位号命名，如 TI-101。",
        0,
    )


def test_an_unexpected_error_fails_the_import_with_its_message(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(rows: Any) -> int:
        raise RuntimeError("database is down")

    monkeypatch.setattr(imports.storage, "write_readings", down)
    history = run_import(world, upload("h.csv", WIDE))
    assert (history.status, history.detail) == (ImportStatus.FAILED, "导入时出错：database is down")


def test_a_finished_import_is_not_run_again(world: World) -> None:
    history = run_import(world, upload("h.csv", WIDE))
    assert tasks.import_history.call(history.pk) == ImportStatus.DONE
    history.refresh_from_db()
    assert history.rows == 2  # not counted twice


def test_an_import_whose_worker_died_is_marked_failed_not_left_running(world: World) -> None:
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    dead = services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("g.csv", WIDE))
    busy = services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    now = timezone.now()
    HistoryImport.objects.filter(pk=dead.pk).update(
        status=ImportStatus.RUNNING, updated_at=now - dt.timedelta(minutes=11)
    )
    HistoryImport.objects.filter(pk=busy.pk).update(
        status=ImportStatus.RUNNING, updated_at=now - dt.timedelta(minutes=9)
    )

    assert imports.fail_stalled(now) == 1

    dead.refresh_from_db()
    busy.refresh_from_db()
    assert (dead.status, busy.status) == (ImportStatus.FAILED, ImportStatus.RUNNING)
    assert dead.detail == "后台任务中断（超过 10 分钟没有进展），请重新导入；已入库的读数不会重复保存。"


# --- permissions --------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["operator_a", "manager_a1", "ehs", "admin_b"])
def test_only_the_sites_administrator_may_import(world: World, who: str) -> None:
    with pytest.raises(PermissionDenied):
        services.stage_import(world.user(who), site=world.site_a, upload=upload("h.csv", WIDE))
    assert HistoryImport.objects.count() == 0


def test_an_upload_staged_by_one_admin_cannot_be_started_by_another(world: World) -> None:
    from anquan.org import services as org
    from anquan.org.choices import Role

    other = org.create_user(
        None,
        username="admin_a2",
        password="x-Anquan-2026",
        name="管理员丙",
        roles=[(Role.ADMINISTRATOR, world.site_a)],
    )
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    with pytest.raises(PermissionDenied):
        services.start_import(other, site=world.site_a, token=staged.token)
    with pytest.raises(ValidationError):
        services.start_import(world.user("admin_a"), site=world.site_a, token="../../etc/passwd")
    assert HistoryImport.objects.count() == 0


def test_a_discarded_upload_cannot_be_started(world: World) -> None:
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    services.discard_staged(world.user("admin_a"), site=world.site_a, token=staged.token)
    with pytest.raises(ValidationError) as caught:
        services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    assert caught.value.message_dict == {"token": ["导入文件已失效，请重新上传。"]}


# --- through the real task queue ----------------------------------------------------------------
def run_worker() -> None:
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {s: signal.getsignal(s) for s in signals}
    try:
        call_command(
            "db_worker",
            batch=True,
            queue_name="*",
            startup_delay=False,
            reload=False,
            interval=0,
            verbosity=0,
        )
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


@pytest.mark.django_db(transaction=True)
def test_start_import_enqueues_the_task_after_commit(world: World) -> None:
    staged = services.stage_import(world.user("admin_a"), site=world.site_a, upload=upload("h.csv", WIDE))
    history = services.start_import(world.user("admin_a"), site=world.site_a, token=staged.token)
    assert HistoryImport.objects.get(pk=history.pk).status == ImportStatus.QUEUED
    run_worker()
    history.refresh_from_db()
    assert (history.status, history.accepted) == (ImportStatus.DONE, 3)
