# Two CPU-bound threads under CPython 3.11's real GIL: they take turns, and neither runs faster for the other.
#
#   threadlab trace -- python3 gil.py
#
# What ThreadLab shows: cruncher-0 and cruncher-1 alternating between holding the lock "GIL" (green/yellow)
# and waiting for it (red), never both holding it; MainThread waiting in join (a wait for a signal, grey).
import threading
def spin(n):
    x = 0
    for i in range(n):
        x += i
ts = [threading.Thread(target=spin, args=(3_000_000,), name=f"cruncher-{i}") for i in range(2)]
for t in ts: t.start()
for t in ts: t.join()
