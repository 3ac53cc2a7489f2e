"""A preloaded interpreter that runs each command the tests give it in a process of its own, forked.

Started by :mod:`process_support` as ``python fork_server.py SOCKET``. It imports what every ``trainwell``
command imports (torch, torch._dynamo, pandas, scikit-learn, matplotlib, the library's modules: about 3 s of a
command's 4 on an idle machine) once, then listens on the Unix socket ``SOCKET``. For each connection it forks
a process that reads one request (a JSON line: ``argv`` as after ``python``, ``env``, ``cwd`` and the files for
standard input, output and error) and forks the command's own process from it, answers that process's pid,
then its exit status. The command's process is what ``python ARGV`` would be after its imports: its own pid,
its own file descriptors, signals and exit code, a ``__main__`` run by :mod:`runpy` as ``-m`` or a script path
runs it. What the preload cannot give it is a fresh import: the tests of import time and of what a fresh
interpreter imports start real interpreters.

The server itself never starts a thread and never runs torch, so forking it is safe; it exits when the socket's
folder goes or its parent (the test session) does.
"""

from __future__ import annotations

import contextlib
import json
import os
import runpy
import signal
import socket
import sys
import warnings


def preload() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import pandas  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import torch
    import torch._dynamo

    import trainwell
    import trainwell.callbacks
    import trainwell.collab
    import trainwell.learner
    import trainwell.tabular
    import trainwell.text
    import trainwell.vision

    del torch, trainwell


def run_command(request: dict) -> None:
    """In the command's process: become ``python ARGV`` in its folder, with its environment and files."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, path, flags in (
        (0, request["stdin"] or os.devnull, os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o644)
        os.dup2(opened, fd)
        os.close(opened)
    threads = os.environ.get("OMP_NUM_THREADS")
    if threads and threads.isdigit():
        import torch

        torch.set_num_threads(int(threads))
    argv = request["argv"]
    if argv[0] == "-m":
        sys.argv = [argv[1], *argv[2:]]
        with warnings.catch_warnings():  # a module the preload imported is run again as __main__ (as -m does)
            warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")


def exit_as_python_would(request: dict) -> None:
    """Run the command and end its process as the interpreter ends one: the exit code of ``SystemExit``, a
    traceback and 1 for an uncaught exception, death by SIGINT for an uncaught ``KeyboardInterrupt``, with
    ``atexit`` handlers run and the standard streams flushed first."""
    import atexit
    import traceback

    code, interrupted = 0, False
    try:
        run_command(request)
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            code = done.code or 0
        else:
            print(done.code, file=sys.stderr)
            code = 1
    except KeyboardInterrupt:
        traceback.print_exc()
        interrupted = True
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(code & 0xFF)


def serve_one(connection: socket.socket) -> None:
    """In the forked handler: start the command's process, say its pid, wait for it, say its status."""
    # The server ignores its children (the kernel reaps them); this one waits for its own.
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    reader = connection.makefile("rb")
    request = json.loads(reader.readline())
    pid = os.fork()
    if pid == 0:
        connection.close()
        exit_as_python_would(request)
    connection.sendall(f"{pid}\n".encode())
    _, status = os.waitpid(pid, 0)
    connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    os._exit(0)


def main() -> None:
    path, parent = sys.argv[1], os.getppid()
    preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # handlers are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    server.settimeout(2.0)
    print("ready", flush=True)
    while os.getppid() == parent and os.path.exists(path):
        try:
            connection, _ = server.accept()
        except TimeoutError:
            continue
        if os.fork() == 0:
            server.close()
            try:
                serve_one(connection)
            finally:  # the command's own process never returns here: it ends in exit_as_python_would
                os._exit(0)
        connection.close()


if __name__ == "__main__":
    main()
