"""One module per plot.  Each panel builds its plot items once and then only calls
``setData``/``setImage`` in ``draw(snapshot)``: no item is created and no autorange runs
per frame, which keeps a redraw to a few milliseconds while torch trains in another thread.
"""
