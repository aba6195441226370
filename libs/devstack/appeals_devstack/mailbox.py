"""A real IMAP server for the e-mail channel's tests and ``make run``: Debian's Dovecot, started
as a process of its own with a throwaway configuration (one mailbox, a password, Maildir under
a folder of its own, plain IMAP on loopback), and stopped and started again to play an outage.

Dovecot comes from Debian's package ``dovecot-imapd`` (``make tools`` installs it as root)."""

from __future__ import annotations

import os
import grp
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from appeals_devstack.ports import free_port


@dataclass(frozen=True)
class Account:
    host: str
    port: int
    user: str
    password: str


def _mail_user() -> pwd.struct_passwd:
    return pwd.getpwnam("dovecot") if os.geteuid() == 0 else pwd.getpwuid(os.geteuid())


def grp_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def _config(directory: Path, port: int, users_file: Path, store: Path, sockets: Path) -> str:
    # The configuration stays in a folder only its owner may enter (a test's temporary folder):
    # Dovecot's processes that read it run as that owner; the network-facing login process as the
    # package's unprivileged dovenull when started by root, and the mail (never as root) as the
    # package's dovecot user in a store of its own.
    me = pwd.getpwuid(os.geteuid())
    internal, login = (me.pw_name, "dovenull") if os.geteuid() == 0 else (me.pw_name, me.pw_name)
    mail = _mail_user()
    return f"""# A throwaway Dovecot for the e-mail channel's tests (appeals_devstack.mailbox).
protocols = imap
listen = 127.0.0.1
base_dir = {sockets}
state_dir = {directory}/state
log_path = {directory}/dovecot.log
default_internal_user = {internal}
default_internal_group = {grp_name(me.pw_gid)}
default_login_user = {login}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {mail.pw_uid}
mail_location = maildir:{store}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users_file}
}}
userdb {{
  driver = static
  args = uid={mail.pw_uid} gid={mail.pw_gid} home={store}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  user = {me.pw_name}
}}
service auth-worker {{
  user = {me.pw_name}
}}
"""


class Dovecot:
    """One mailbox (``user`` with a random password) on ``127.0.0.1:<port>``; the port stays the
    same across :meth:`stop` and :meth:`start`, as a city's mail server's does."""

    def __init__(self, directory: Path, *, user: str = "appeals@city.example", store: Path | None = None,
                 password: str | None = None) -> None:
        """``store``: where the mail is kept (kept across runs; every folder above it must let
        others pass, as the mail user is not its owner); a throwaway folder when not given."""
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        if not Path(binary).exists():
            raise RuntimeError("Debian's dovecot-imapd is needed (make test installs it as root)")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.account = Account("127.0.0.1", self.port, user, password or secrets.token_urlsafe(12))
        directory.mkdir(parents=True, exist_ok=True)
        users = directory / "users"
        users.write_text(f"{user}:{{PLAIN}}{self.account.password}\n", "utf-8")
        # the mail store: a folder of its own that only the mail user may enter
        self._throwaway = store is None
        self.store = Path(tempfile.mkdtemp(prefix="appeals-mailbox-")) if store is None else store
        self.store.mkdir(parents=True, exist_ok=True)
        owner = _mail_user()
        os.chown(self.store, owner.pw_uid, owner.pw_gid)
        self.config = directory / "dovecot.conf"
        # its sockets: a short path of its own (a Unix socket's path has at most 107 bytes)
        self.sockets = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.config.write_text(_config(directory, self.port, users, self.store, self.sockets), "utf-8")
        for sub in ("state",):
            (directory / sub).mkdir(exist_ok=True)
        self._proc: subprocess.Popen | None = None

    def start(self, timeout_s: float = 20.0) -> Dovecot:
        self._proc = subprocess.Popen([self.binary, "-F", "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = (self.directory / "dovecot.log")
                raise RuntimeError(f"dovecot exited with {self._proc.returncode}: "
                                   f"{log.read_text('utf-8')[-2000:] if log.exists() else ''}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on {self.port} in {timeout_s} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None

    def __enter__(self) -> Dovecot:
        return self.start()

    def close(self) -> None:
        """Stop, and forget the mail of a throwaway store."""
        self.stop()
        shutil.rmtree(self.sockets, ignore_errors=True)
        if self._throwaway:
            shutil.rmtree(self.store, ignore_errors=True)

    def __exit__(self, *exc: object) -> None:
        self.close()
