"""Reads the two event files that event_writer_test.cpp (FilesReadBackByTensorBoardsReaders) writes
with the tensorboard package alone and checks every event: record by record with
LegacyEventFileLoader (no compat layers; its record reader checks both masked CRC-32Cs), then the
directory with EventAccumulator (the SessionLog START of the second file drops the first file's
step 4) and the text plugin's rendering.

Usage: check_event_file.py FIRST_FILE SECOND_FILE
"""
import os
import shutil
import sys
import tempfile
import time

import numpy as np
from tensorboard.backend.event_processing import event_accumulator as ea
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.backend.event_processing import plugin_event_accumulator as pea
from tensorboard.compat.proto import event_pb2, types_pb2
from tensorboard.plugins.text import text_plugin
from tensorboard.util import tensor_util

NOTES = "**bold** and\n\n    an indented code block"


def check(condition, message):
    if not condition:
        raise SystemExit(f"check_event_file: {message}")


def events_of(path):
    return list(event_file_loader.LegacyEventFileLoader(path).Load())


def scalar(event):
    (value,) = event.summary.value
    check(value.WhichOneof("value") == "simple_value", f"{value.tag}: not a simple_value")
    return value.tag, value.simple_value


def check_first_file(path):
    events = events_of(path)
    check(len(events) == 7, f"{path}: {len(events)} events read, expected 7 (a CRC failed?)")
    check(events[0].file_version == "brain.Event:2", "the first event is not the file version")
    now = time.time()
    for e in events:
        check(abs(e.wall_time - now) < 3600, f"wall time {e.wall_time} is not about now")
    expected = [(1, "loss", 0.5), (2, "loss", 0.25), (3, "loss", 0.125), (4, "loss", 99.0),
                (3, "dev/ndcg@10", np.float32(1.0 / 3.0))]
    for e, (step, tag, value) in zip(events[1:6], expected):
        check((e.step, *scalar(e)) == (step, tag, value), f"{e} is not {step} {tag} {value}")
    text = events[6]
    (value,) = text.summary.value
    check(text.step == 1 and value.tag == "notes", "the text event's step or tag")
    check(value.metadata.plugin_data.plugin_name == "text", "the text's plugin name")
    check(value.tensor.dtype == types_pb2.DT_STRING, "the text tensor's dtype")
    check(len(value.tensor.tensor_shape.dim) == 0, "the text tensor is not a scalar")
    array = tensor_util.make_ndarray(value.tensor)
    check(array.shape == () and array.item().decode() == NOTES, f"the text reads {array!r}")
    html = text_plugin.text_array_to_html(array, enable_markdown=True)
    check("<strong>bold</strong>" in html and "<pre><code>" in html, f"rendered: {html}")
    return events


def check_second_file(path):
    events = events_of(path)
    check(len(events) == 3, f"{path}: {len(events)} events read, expected 3")
    check(events[0].file_version == "brain.Event:2", "the second file's version")
    check(events[1].step == 4 and events[1].session_log.status == event_pb2.SessionLog.START,
          f"not a SessionLog START at step 4: {events[1]}")
    check((events[2].step, *scalar(events[2])) == (4, "loss", 0.0625), f"{events[2]}")


def check_accumulators(directory):
    acc = ea.EventAccumulator(directory, size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
    acc.Reload()
    loss = [(s.step, s.value) for s in acc.Scalars("loss")]
    check(loss == [(1, 0.5), (2, 0.25), (3, 0.125), (4, 0.0625)], f"accumulated loss {loss}")
    check([t.step for t in acc.Tensors("notes")] == [1], "accumulated text")
    plugins = pea.EventAccumulator(directory)
    plugins.Reload()
    check("notes" in plugins.PluginTagToContent("text"), "the text plugin sees no 'notes'")
    check({"loss", "dev/ndcg@10"} <= set(plugins.PluginTagToContent("scalars")),
          "the scalars plugin does not see every scalar")


def check_a_flipped_byte_is_refused(path, events):
    """The reader stops at a record whose CRC does not match: reading every event above means
    every CRC was right."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, os.path.basename(path))
        shutil.copyfile(path, copy)
        data = bytearray(open(copy, "rb").read())
        first = 8 + 4 + len(events[0].SerializeToString()) + 4  # the second record
        data[first + 12] ^= 0x01  # a byte of its data
        open(copy, "wb").write(bytes(data))
        check(len(events_of(copy)) == 1, "a record with a wrong CRC was read")


def main(first, second):
    events = check_first_file(first)
    check_second_file(second)
    check(os.path.dirname(first) == os.path.dirname(second), "the files are in one directory")
    check_accumulators(os.path.dirname(first))
    check_a_flipped_byte_is_refused(first, events)
    print("check_event_file: ok")


if __name__ == "__main__":
    main(*sys.argv[1:])
