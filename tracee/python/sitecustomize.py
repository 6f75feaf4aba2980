# Python thread names for `threadlab trace`: the launcher puts this directory first on PYTHONPATH.
#
# CPython before 3.14 never tells the kernel a thread's name (no pthread_setname_np, no prctl), so every
# thread of a traced script would be called "python3". This module gives each threading.Thread's OS thread
# its Python name (cut to the kernel's 15 bytes) through pthread_setname_np, which libthreadlab-tracee.so
# turns into the thread's lane name: when the thread starts (Thread._bootstrap_inner), when its name is
# set later (the Thread.name setter), and "MainThread" for the main thread.
#
# Why sitecustomize and not usercustomize: site.py imports usercustomize only while site.ENABLE_USER_SITE
# is true, and it is false in every virtual environment that does not include the system site-packages
# (and under -s, PYTHONNOUSERSITE, or a set-uid interpreter); sitecustomize is imported in all of those
# cases. A .pth file would only be read from a site directory, never from a PYTHONPATH one. Being first on
# sys.path, this module shadows the interpreter's own sitecustomize (Debian ships one, the apport hook,
# in /usr/lib/python3.11 -> /etc/python3.11), so it runs that one afterwards under its name, as site.py
# would have. Lost anyway under -S, -E and -I (PYTHONPATH ignored or no site at all).
import os
import sys


def _threadlab_names():
    import ctypes
    import threading

    try:
        setname = ctypes.CDLL(None, use_errno=True).pthread_setname_np
    except (OSError, AttributeError):
        return
    setname.argtypes = (ctypes.c_ulong, ctypes.c_char_p)
    setname.restype = ctypes.c_int

    def tell(ident, name):
        if ident is None:
            return
        try:
            raw = str(name).encode("utf-8", "replace")[:15]
            raw = raw.decode("utf-8", "ignore").encode("utf-8")  # never half a character
            setname(ident, raw)
        except Exception:
            pass

    bootstrap_inner = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        tell(threading.get_ident(), self._name)
        return bootstrap_inner(self)

    threading.Thread._bootstrap_inner = _bootstrap_inner

    name_property = threading.Thread.name

    def _set_name(self, name):
        name_property.fset(self, name)
        if self._started.is_set() and not self._is_stopped:
            tell(self._ident, self._name)

    threading.Thread.name = property(name_property.fget, _set_name, doc=name_property.__doc__)
    tell(threading.get_ident(), threading.main_thread().name)


def _next_sitecustomize():
    # The sitecustomize this one shadows, if any, run as site.py runs it (its errors are reported, not fatal).
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


if os.environ.get("THREADLAB_ARENA"):
    try:
        _threadlab_names()
    except Exception:
        pass
try:
    _next_sitecustomize()
except Exception as err:
    print("Error in sitecustomize; set PYTHONVERBOSE for traceback:\n%s: %s" % (type(err).__name__, err), file=sys.stderr)
