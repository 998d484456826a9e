#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A --root tree is input: crafted trees must not lead the CLI outside them,
through a link, into a FIFO or a device node, nor make it act twice on one
function. The same cases run again under tests/tools/no-openat2
(VFR_CLI_WRAPPER), where the library walks paths one component at a time.
Cases that change bindings run under vfioreset-mock."""
import json
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import unittest

VFIORESET = os.environ["VFIORESET"]
MKFIXTURE = os.environ["VFR_MKFIXTURE"]
MOCK = os.environ["VFR_MOCK"]
FIXTURES = os.environ["VFR_FIXTURES"]
WRAPPER = shlex.split(os.environ.get("VFR_CLI_WRAPPER", ""))
# A crafted tree that makes the CLI hang fails the test instead of the suite.
LIMIT = 60

FN = "0000:02:00.0"
FN_DIR = "sys/devices/pci0000:00/0000:00:02.1/0000:02:00.0"


def clean_env():
    env = dict(os.environ)
    for name in ("VFIORESET_ROOT", "VFR_MOCK_ROOT", "LD_PRELOAD", "VFIORESET_LOG"):
        env.pop(name, None)
    return env


class Confinement(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        self.outside = os.path.join(self.tmp.name, "outside")
        os.makedirs(self.outside)
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), self.root],
                       check=True)

    def tearDown(self):
        self.tmp.cleanup()

    def cli(self, *args):
        p = subprocess.run(WRAPPER + [VFIORESET, "--root", self.root, *args], capture_output=True,
                           text=True, env=clean_env(), timeout=LIMIT, check=False)
        self.assertNotEqual(p.returncode, 99, p.stderr)
        return p

    def mock(self, *args):
        p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, *args],
                           capture_output=True, text=True, env=clean_env(), timeout=LIMIT,
                           check=False)
        self.assertNotEqual(p.returncode, 99, p.stderr)
        return p

    def path(self, rel):
        return os.path.join(self.root, rel)

    def problems(self, addr):
        p = self.cli("--json", "show", addr)
        self.assertEqual(p.returncode, 0, p.stderr)
        return "\n".join(json.loads(p.stdout)["devices"][0]["problems"])

    def journal(self):
        path = self.path(".vfr-mock/journal")
        return open(path, encoding="utf-8").read().splitlines() if os.path.exists(path) else []

    def replace_with_link(self, rel, target):
        path = self.path(rel)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)

    # ---- reading a crafted tree ----

    def test_fifo_config_does_not_hang_list(self):
        config = self.path(FN_DIR + "/config")
        os.unlink(config)
        os.mkfifo(config)
        p = self.cli("--json", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("config attribute is not a regular file", self.problems(FN))

    def test_link_to_a_device_node_is_not_opened(self):
        self.replace_with_link(FN_DIR + "/config", "/dev/zero")
        self.replace_with_link(FN_DIR + "/driver_override", "/dev/null")
        text = self.problems(FN)
        self.assertIn("config attribute is not a regular file", text)
        self.assertIn("driver_override attribute is not a regular file", text)

    def test_symlinked_sys_is_not_followed(self):
        shutil.move(self.path("sys"), os.path.join(self.outside, "sys"))
        os.symlink(os.path.join(self.outside, "sys"), self.path("sys"))
        p = self.cli("list")
        self.assertEqual(p.returncode, 1)
        self.assertIn("not followed", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_symlinked_device_directory(self):
        # The function's directory moved out of the tree and linked back in.
        real = os.path.join(self.outside, "fn")
        shutil.move(self.path(FN_DIR), real)
        os.symlink(real, self.path(FN_DIR))
        text = self.problems(FN)
        self.assertIn("not followed", text)

    def test_empty_root_is_refused(self):
        for args in (["--root", "", "list"], ["list", "--root", ""]):
            p = subprocess.run(WRAPPER + [VFIORESET, *args], capture_output=True, text=True,
                               env=clean_env(), timeout=LIMIT, check=False)
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("empty", p.stderr)
            self.assertEqual(p.stdout, "")

    def test_two_spellings_are_one_function(self):
        os.symlink("../../../" + FN_DIR[len("sys/"):],
                   self.path("sys/bus/pci/devices/02:00.0"))
        p = self.cli("--json", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        names = [d["address"] for d in json.loads(p.stdout)["devices"]]
        self.assertEqual(names.count(FN), 1)
        self.assertIn("a second time, as '02:00.0'", self.problems(FN))
        p = self.cli("--json", "show", "02:00.0", FN)
        self.assertEqual([d["address"] for d in json.loads(p.stdout)["devices"]], [FN])

    def test_parent_loop_is_a_problem(self):
        # 0000:02:00.0's directory placed below itself by a crafted link.
        link = self.path("sys/bus/pci/devices/0000:00:02.1")
        os.unlink(link)
        os.symlink("../../../" + FN_DIR[len("sys/"):] + "/0000:00:02.1", link)
        os.makedirs(self.path(FN_DIR + "/0000:00:02.1"))
        os.unlink(self.path("sys/bus/pci/devices/" + FN))
        os.symlink("../../../devices/pci0000:00/0000:00:02.1/0000:02:00.0/0000:00:02.1/" + FN,
                   self.path("sys/bus/pci/devices/" + FN))
        os.makedirs(self.path(FN_DIR + "/0000:00:02.1/" + FN))
        p = self.cli("--json", "plan", FN, "--allow-host-drivers")
        self.assertIn(p.returncode, (0, 1), p.stderr)
        self.assertIn("parents loop", self.problems(FN))

    # ---- changing bindings in a crafted tree (the simulated kernel) ----

    def test_symlinked_driver_directory_takes_no_store(self):
        # sys/bus/pci/drivers/e1000e leads outside: its unbind file there must stay empty.
        drivers = self.path("sys/bus/pci/drivers")
        shutil.move(os.path.join(drivers, "e1000e"), os.path.join(self.outside, "e1000e"))
        os.symlink(os.path.join(self.outside, "e1000e"), os.path.join(drivers, "e1000e"))
        p = self.mock("--json", "bind", FN)
        self.assertEqual(p.returncode, 1, p.stderr)
        with open(os.path.join(self.outside, "e1000e/unbind"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "")
        self.assertNotIn("unbind " + FN + " e1000e", self.journal())

    def test_crafted_record_is_refused(self):
        os.makedirs(self.path("run/vfioreset"), mode=0o700, exist_ok=True)
        record = self.path("run/vfioreset/" + FN + ".state")
        for text in ("[binding]\naddress=" + FN + "\ndriver=../../../../outside\n",
                     "[binding]\naddress=0000:03:00.0\ndriver=e1000e\n",
                     "[binding]\ndriver=e1000e\ndriver_override=a\\nb\n"):
            with self.subTest(record=text):
                with open(record, "w", encoding="utf-8") as f:
                    f.write(text)
                os.chmod(record, 0o600)
                p = self.mock("--json", "restore", FN)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("cannot be read", p.stderr)
        self.assertFalse([l for l in self.journal() if l.startswith(("unbind", "bind"))])

    def test_symlinked_state_directory_is_refused(self):
        elsewhere = os.path.join(self.outside, "state")
        os.makedirs(elsewhere, mode=0o700)
        os.symlink(elsewhere, self.path("run/vfioreset"))
        p = self.mock("--json", "bind", FN)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("not followed", p.stderr)
        self.assertEqual(os.listdir(elsewhere), [])
        self.assertNotIn("bind " + FN + " vfio-pci", self.journal())

    def test_reset_of_one_function_named_twice_runs_once(self):
        p = self.mock("--json", "reset", "--allow-host-drivers", "02:00.0", FN)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        self.assertEqual(len(json.loads(p.stdout)["results"]), 1)
        resets = [l for l in self.journal() if l.startswith("reset " + FN)]
        self.assertEqual(len(resets), 1, resets)

    def test_group_bind_of_two_spellings_does_not_wait_for_itself(self):
        os.symlink("../../../" + FN_DIR[len("sys/"):],
                   self.path("sys/bus/pci/devices/02:00.0"))
        p = self.mock("--json", "bind", "--group", "--lock-timeout", "2000", "02:00.0", FN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([r["address"] for r in json.loads(p.stdout)["results"]], [FN])


class StateDirectory(unittest.TestCase):
    """The state directory under vfioreset-mock: who may use it and hold its locks."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        subprocess.run([MKFIXTURE, os.path.join(FIXTURES, "qemu-q35.ini"), self.root],
                       check=True)
        self.state = os.path.join(self.root, "run/vfioreset")

    def tearDown(self):
        self.tmp.cleanup()

    def mock(self, *args):
        p = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, *args],
                           capture_output=True, text=True, env=clean_env(), timeout=LIMIT,
                           check=False)
        self.assertNotEqual(p.returncode, 99, p.stderr)
        return p

    def test_made_private(self):
        """Records and locks 0600; the directory can be passed, not listed, by others;
        only the pending records (which every reader of config space needs) are public."""
        p = self.mock("bind", FN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.stat(self.state).st_mode & 0o7777, 0o711)
        for top, dirs, files in os.walk(self.state):
            public = os.path.basename(top) == "pending"
            for name in dirs:
                self.assertEqual(os.stat(os.path.join(top, name)).st_mode & 0o7777, 0o755, name)
            for name in files:
                self.assertEqual(os.stat(os.path.join(top, name)).st_mode & 0o7777,
                                 0o644 if public else 0o600, name)

    def test_older_world_readable_one_is_tightened(self):
        os.makedirs(self.state, mode=0o755)
        os.chmod(self.state, 0o755)
        lock = os.path.join(self.state, FN + ".lock")
        with open(lock, "w", encoding="ascii"):
            pass
        os.chmod(lock, 0o644)
        p = self.mock("bind", FN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.stat(self.state).st_mode & 0o7777, 0o711)
        self.assertEqual(os.stat(lock).st_mode & 0o7777, 0o600)

    def test_writable_by_others_is_refused(self):
        os.makedirs(self.state)
        os.chmod(self.state, 0o777)
        p = self.mock("bind", FN)
        self.assertEqual(p.returncode, 1)
        self.assertIn("can be written by others", p.stderr)
        self.assertEqual(os.listdir(self.state), [])

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give the directory away")
    def test_owned_by_another_user_is_refused(self):
        nobody = pwd.getpwnam("nobody")
        os.makedirs(self.state, mode=0o700)
        os.chown(self.state, nobody.pw_uid, nobody.pw_gid)
        p = self.mock("bind", FN)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"belongs to uid {nobody.pw_uid}", p.stderr)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to become another user")
    def test_another_user_cannot_hold_a_lock(self):
        # Everything up to the tree is open to others, as /run is.
        for d in (self.tmp.name, self.root, os.path.join(self.root, "run")):
            os.chmod(d, 0o755)
        p = self.mock("bind", FN)
        self.assertEqual(p.returncode, 0, p.stderr)
        nobody = pwd.getpwnam("nobody")
        lock = os.path.join(self.state, FN + ".lock")
        script = ("import fcntl, os, sys\n"
                  "try:\n"
                  "    fd = os.open(sys.argv[1], os.O_RDONLY)\n"
                  "    fcntl.flock(fd, fcntl.LOCK_EX)\n"
                  "    print('locked', flush=True)\n"
                  "except OSError as e:\n"
                  "    print('refused', e.errno, flush=True)\n"
                  "sys.stdin.read()\n")

        def become_nobody():
            os.setgid(nobody.pw_gid)
            os.setgroups([])
            os.setuid(nobody.pw_uid)

        holder = subprocess.Popen(["python3", "-c", script, lock], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=clean_env(),
                                  preexec_fn=become_nobody)
        try:
            self.assertTrue(holder.stdout.readline().startswith("refused"))
            p = self.mock("restore", FN)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            holder.stdin.close()
            holder.wait()

    @unittest.skipUnless(os.geteuid() == 0, "needs root to become another user")
    def test_pending_records_reach_other_users(self):
        """A reader that is not root reads config space too (its first 64 bytes), and
        would sleep behind a stuck reset like root: root's pending records reach it."""
        for d in (self.tmp.name, self.root, os.path.join(self.root, "run")):
            os.chmod(d, 0o755)
        stuck = subprocess.Popen(["python3", "-c", "import sys; sys.stdin.read()"],
                                 stdin=subprocess.PIPE)
        try:
            with open(f"/proc/{stuck.pid}/stat", encoding="ascii") as f:
                start = f.read().rsplit(")", 1)[1].split()[19]
            p = self.mock("bind", FN)  # makes the state directory as the library does
            self.assertEqual(p.returncode, 0, p.stderr)
            pending = os.path.join(self.state, "pending")
            record = os.path.join(pending, FN)
            with open(record, "w", encoding="ascii") as f:
                f.write(f"[pending]\naddress={FN}\noperation=reset\nmethod=flr\n"
                        f"affected={FN};\nconfig_locked={FN};\npid={stuck.pid}\n"
                        f"pid_start={start}\nsince=1\n")
            os.chmod(record, 0o644)
            nobody = pwd.getpwnam("nobody")

            def become_nobody():
                os.setgid(nobody.pw_gid)
                os.setgroups([])
                os.setuid(nobody.pw_uid)

            q = subprocess.run([MOCK, self.root, "--"] + WRAPPER + [VFIORESET, "--json", "show",
                                                                    FN],
                               capture_output=True, text=True, env=clean_env(), timeout=LIMIT,
                               preexec_fn=become_nobody, check=False)
            self.assertEqual(q.returncode, 0, q.stderr)
            dev = json.loads(q.stdout)["devices"][0]
            self.assertEqual((dev["pending"] or {}).get("pid"), stuck.pid, q.stderr)
            self.assertIsNone(dev["capabilities"])
        finally:
            stuck.stdin.close()
            stuck.wait()

    def test_held_lock_names_its_holder(self):
        os.makedirs(self.state, mode=0o700)
        lock = os.path.join(self.state, FN + ".lock")
        script = ("import fcntl, os, sys\n"
                  "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
                  "fcntl.flock(fd, fcntl.LOCK_EX)\n"
                  "print('locked', flush=True)\n"
                  "sys.stdin.read()\n")
        holder = subprocess.Popen(["python3", "-c", script, lock], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True, env=clean_env())
        try:
            self.assertEqual(holder.stdout.readline().strip(), "locked")
            p = self.mock("bind", "--lock-timeout", "300", FN)
            self.assertEqual(p.returncode, 1)
            self.assertIn(f"(pid {holder.pid})", p.stderr)
            self.assertIn("300 ms", p.stderr)
        finally:
            holder.stdin.close()
            holder.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
