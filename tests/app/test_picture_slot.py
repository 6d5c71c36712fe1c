"""The slot between a worker and the frame timer: the newest picture, once."""

import threading

from vdq_gui.app.worker_base import PictureSlot


def test_a_picture_is_taken_once_and_only_of_the_expected_generation():
    slot = PictureSlot()
    assert slot.put("a", 0) and slot.put("b", 0)
    assert slot.take() == "b" and slot.take() is None  # the newest, once
    slot.expect(1)
    assert not slot.put("old", 0) and slot.take() is None


def test_wait_drawn_returns_once_the_frame_timer_came_back_after_taking_it():
    """The window's first torch import waits for this: begun as the picture was taken, it
    slowed that picture's draw from 50 ms to 0.33 s (measured)."""
    slot = PictureSlot()
    assert slot.wait_drawn(0.0)  # nothing waiting: nothing to wait for
    slot.put("first", 0)
    assert not slot.wait_drawn(0.05)
    assert slot.take() == "first"
    assert not slot.wait_drawn(0.05)  # taken, still being drawn
    done = threading.Event()
    waiter = threading.Thread(target=lambda: slot.wait_drawn(5.0) and done.set())
    waiter.start()
    slot.take()  # the next tick: the first picture's draw is over
    waiter.join(5.0)
    assert done.is_set()
