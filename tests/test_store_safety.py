"""The database under pressure, on real DuckDB files: two commits at the same moment, the file
deleted or replaced under a running app, a read-only file, odd periods stored by older versions."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from tongzhan import batches, store
from tongzhan.catalog import Catalog
from tongzhan.importer import parse_file
from tongzhan.regions import Tree

TODAY = date(2026, 11, 23)


def upload(township: str, value: int) -> bytes:
    return f"区划代码,期间,服务群众人次\n{township},2026-11,{value}\n".encode("utf-8")


def tree_and_catalog(con):
    return Tree(store.query(con, "regions_all")), Catalog(store.query(con, "indicators_all"))


def commit_together(con, files: list[bytes], use_cursors: bool) -> list:
    """Each file committed by its own thread, all released at once; the batch ids or errors."""
    tree, catalog = tree_and_catalog(con)
    parsed = [parse_file(data, f"f{i}.csv", tree, catalog, today=TODAY) for i, data in enumerate(files)]
    barrier, results = threading.Barrier(len(files)), [None] * len(files)

    def run(i):
        barrier.wait()
        try:
            if use_cursors:
                with store.cursor(con) as cur:
                    results[i] = batches.commit(cur, parsed[i], files[i], f"f{i}.csv", "t")
            else:
                results[i] = batches.commit(con, parsed[i], files[i], f"f{i}.csv", "t")
        except Exception as e:  # noqa: BLE001 - the test reports what went wrong
            results[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(files))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("use_cursors", [True, False], ids=["cursor-per-session", "shared-connection"])
def test_two_commits_at_the_same_moment_both_land_as_complete_batches(db_copy, use_cursors):
    files = [upload("420302001", 111), upload("420302002", 222), upload("420302003", 333)]
    con = store.connect(db_copy)
    try:
        for _ in range(3):   # a race is a matter of luck: give it several chances
            results = commit_together(con, files, use_cursors)
            assert all(isinstance(r, int) for r in results), results
            assert len(set(results)) == len(files)
            for i, (batch_id, data) in enumerate(zip(results, files)):
                facts = con.execute("SELECT region_code, value FROM facts WHERE batch_id = ?",
                                    [batch_id]).fetchall()
                code, _, value = data.decode().splitlines()[1].split(",")
                assert [(c, float(v)) for c, v in facts] == [(code, float(value))]
                assert con.execute("SELECT file_name, inserted FROM batches WHERE batch_id = ?",
                                   [batch_id]).fetchall() == [(f"f{i}.csv", 1)]
            for batch_id in results:
                batches.undo(con, batch_id)
    finally:
        con.close()
