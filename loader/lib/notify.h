/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The service manager's readiness protocol (systemd's sd_notify, without
 * libsystemd): one datagram of "KEY=VALUE" lines to the AF_UNIX socket named
 * by $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
 * Type=notify units wait for "READY=1" before they count as started.
 */
#ifndef XW_NOTIFY_H
#define XW_NOTIFY_H

/*
 * Send state (e.g. "READY=1\nSTATUS=serving") when $NOTIFY_SOCKET is set.
 * 0 when sent or when there is no socket to send to, else -errno.
 */
int xw_notify(const char *state);

#endif /* XW_NOTIFY_H */
