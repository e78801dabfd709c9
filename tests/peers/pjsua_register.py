#!/usr/bin/env python3
"""A real PJSUA2 (PJSIP 2.15) phone registering with Switchyard, driven by tests/it/sip_peers.rs.

Usage: pjsua_register.py SERVER_PORT LOCAL_PORT USER PASSWORD TRANSPORT(udp|tcp) STEPS
STEPS is a comma-separated list of: register, reregister, unregister.
Prints one line per step: "STEP <name> <status code> <reason>" and exits 0; every wait is
bounded so that a silent server cannot hang the test.
"""
import sys
import time

import pjsua2 as pj


class Account(pj.Account):
    def __init__(self):
        super().__init__()
        self.events = []

    def onRegState(self, prm):
        self.events.append((prm.code, prm.reason))


def wait_for_event(ep, acc, seen, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and len(acc.events) <= seen:
        ep.libHandleEvents(20)
    return acc.events[seen] if len(acc.events) > seen else (0, "timeout")


def main():
    server_port, local_port, user, password, transport, steps = sys.argv[1:7]
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    tcfg = pj.TransportConfig()
    tcfg.port = int(local_port)
    tcfg.boundAddress = "127.0.0.1"
    kind = pj.PJSIP_TRANSPORT_TCP if transport == "tcp" else pj.PJSIP_TRANSPORT_UDP
    ep.transportCreate(kind, tcfg)
    ep.libStart()
    ep.audDevManager().setNullDev()

    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:{user}@127.0.0.1"
    acfg.regConfig.registrarUri = f"sip:127.0.0.1:{server_port};transport={transport}"
    acfg.regConfig.timeoutSec = 300
    acfg.regConfig.retryIntervalSec = 0
    acfg.regConfig.registerOnAdd = False
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
    acc = Account()
    acc.create(acfg)
    for step in steps.split(","):
        seen = len(acc.events)
        acc.setRegistration(step != "unregister")
        code, reason = wait_for_event(ep, acc, seen, 10)
        print(f"STEP {step} {code} {reason}", flush=True)
        if code != 200:
            break
    acc.shutdown()
    ep.libDestroy()


if __name__ == "__main__":
    main()
