"""build_scripts.forked_helper: what a helper sends comes back in order, up to where it stopped."""

import logging
import os
import time

from build_scripts.forked_helper import ForkedHelper, LogCapture, replay


def test_records_come_back_in_order_with_the_helpers_log(caplog):
    caplog.set_level(logging.INFO, logger="dj-test-helper")

    def work(send):
        logs = LogCapture()
        for number in range(500):
            logging.getLogger("dj-test-helper").info("第 %d 页", number)
            send((number, "页" * number, logs.take()))

    helper = ForkedHelper(work)
    received = []
    for number, text, records in helper.records():
        replay(records)
        received.append((number, text))

    assert received == [(number, "页" * number) for number in range(500)]
    assert [r.getMessage() for r in caplog.records] == [f"第 {n} 页" for n in range(500)]
    assert {r.process for r in caplog.records} != {os.getpid()}  # made there, logged here


def test_a_helper_that_fails_half_way_sends_what_it_finished():
    def work(send):
        send("第一页")
        send("第二页")
        raise RuntimeError("第三页出错")

    assert list(ForkedHelper(work).records()) == ["第一页", "第二页"]


def test_a_stopped_helper_is_gone():
    def work(send):
        send("开始")
        time.sleep(60)

    helper = ForkedHelper(work)
    pid = helper.pid
    helper.stop()
    assert helper.pid is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("the helper is still running")
