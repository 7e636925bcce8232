/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wire protocol between xwamp's charon plugin (loader/charon/, runs
 * inside strongSwan's charon) and its clients (loader/lib/ikesrc.c, used by
 * xwampd and xwping).  This header is the contract: it has no dependencies
 * so that the plugin, which is built against strongSwan's headers and not
 * ours, includes it too.  loader/charon/xwamp_socket.c repeats the summary.
 *
 * Transport: a UNIX stream socket, by default XW_IKESOCK_PATH, mode 0600 in
 * a directory of charon's user (root) that nobody else can write (0700).
 * Only root can connect, and the user named by charon.plugins.xwamp.user
 * (xwampd's after it drops root: then 0660 and 0710, that user's group);
 * the plugin checks every client's SO_PEERCRED uid too and answers anyone
 * else "ERR EACCES not allowed" and closes: the keys it hands out are
 * O/TWAMP shared secrets.
 *
 * Text lines, ASCII, each ending in LF ("\n"; a CR before it is ignored),
 * at most XW_IKESOCK_LINE_MAX octets with the LF.  Fields are separated by
 * one space.  Hex is written in lower case and read in either case.
 * A client may send several requests on one connection; each gets exactly
 * one response (LIST: several lines ending in END), in order.
 *
 * Requests:
 *   SPI <SPIi> <SPIr>
 *       Server side (RFC 7717 5.3): the IKE SA whose SPIs are these, 16 hex
 *       digits each, in wire order (as the KeyID carries them and as
 *       `swanctl --list-sas` prints them).
 *   PEER <address>
 *       Client side (RFC 7717 5.1): the current IKE SA protecting traffic to
 *       <address> (IPv4 dotted quad or IPv6 text): the newest ESTABLISHED
 *       IKEv2 SA whose remote IKE address is <address>, or one of whose
 *       CHILD SAs has a remote traffic selector that includes it (the
 *       measured address is usually an inner, tunneled one).
 *   CHILD <esp|ah> <SPIin> <SPIout>
 *       EXPERIMENTAL IPsec SA profile (control/saprof.h; README "IPsec SA
 *       profile"), for setups whose keys never reach the kernel SAD
 *       (kernel-libipsec): the installed CHILD SA whose SPIs are these, 8 hex
 *       digits each as `ip xfrm state` and charon's log print them.  "in"
 *       names the SA carrying traffic TO the asking host, "out" the one
 *       leaving it (the server asks with SPIin = the greeting's SPIi).
 *   CHILDPEER <address>
 *       The same for the newest installed CHILD SA whose remote traffic
 *       selectors include <address> (the client's side).
 *     Both are answered only with charon.plugins.xwamp.sa_keys = yes (else
 *     ERR ENOTSUP): CHILD SA keys decrypt the tunnel, and SKEYSEED with the
 *     public nonces and SPIs decrypts the IKE SA itself.
 *   LIST
 *       Every IKE SA the plugin holds a key for, without keys.
 *   WATCH
 *       Turns the connection into an event stream (see below); the server
 *       reads nothing more from it but EOF.
 *
 * Responses:
 *   KEY <SPIi> <SPIr> <PRF> <KEY>
 *       PRF: the IKE SA's negotiated PRF as strongSwan names it
 *       ("PRF_HMAC_SHA2_256", like vici's prf-alg); KEY: prf(SK_d, "IPPM")
 *       (RFC 7717 5.1) in hex, 1..XW_IKESOCK_KEY_MAX octets.  SK_d itself
 *       never leaves charon.
 *   CHILDKEY <esp|ah> <SPIin> <SPIout> <aead|-> <ENCin> <INTEGin> <ENCout>
 *            <INTEGout> <IKE-SPIi> <IKE-SPIr> <SKEYSEED>
 *       (one line) The CHILD SA's keys in hex, "-" for none: ENC of an
 *       "aead" SA is key || salt (RFC 4106 8.1, as the kernel holds it) and
 *       it has no INTEG; AH has no ENC.  IKE-SPIi/r name the IKE SA the
 *       CHILD SA belongs to now (after an IKE rekey: the new one), SKEYSEED
 *       is that IKE SA's (RFC 7296 2.14, or 2.18 after a rekey), "-" while
 *       it is not authenticated or when charon could not compute it.
 *   ERR <code> <text>
 *       code: ENOENT  no such IKE SA (or none to that peer), or it has no key
 *             EINVAL  malformed request
 *             ENOTSUP IKEv1 SA, or a PRF charon cannot instantiate
 *             EBUSY   too many clients (the connection is then closed)
 *       text: free form, for humans, up to the end of the line.
 *   For LIST: zero or more lines
 *       SA <SPIi> <SPIr> <peer> <state>
 *       (state: UP once established, else PENDING), then one line "END".
 *   For WATCH: "OK", then one line per event as it happens:
 *       EVENT UP <SPIi> <SPIr> <peer>             IKE SA established
 *       EVENT REKEY <oldSPIi> <oldSPIr> <SPIi> <SPIr>  IKE SA rekeyed
 *       EVENT DOWN <SPIi> <SPIr>                  IKE SA gone, key wiped
 *     A watcher that does not read its events fast enough is disconnected.
 *
 * Example (socat - UNIX-CONNECT:/run/xwamp/charon.sock):
 *   > SPI e33d65fab7818ad9 e58d539a5b542c26
 *   < KEY e33d65fab7818ad9 e58d539a5b542c26 PRF_HMAC_SHA2_256 e13c13...6b45da
 *   > PEER 198.51.100.2
 *   < KEY e33d65fab7818ad9 e58d539a5b542c26 PRF_HMAC_SHA2_256 e13c13...6b45da
 *   > SPI 0000000000000001 0000000000000002
 *   < ERR ENOENT no IKE SA with these SPIs
 *   > CHILDPEER 198.51.100.2
 *   < CHILDKEY esp c3b1a5f2 ca4e0b17 - 5f0c...e1 9a2b...77 0d4e...c2 41f6...08
 *     e33d65fab7818ad9 e58d539a5b542c26 7c1d...9e
 */
#ifndef XW_IKESOCK_H
#define XW_IKESOCK_H

/* charon.plugins.xwamp.socket in strongswan.conf overrides it. */
#define XW_IKESOCK_PATH	    "/run/xwamp/charon.sock"
#define XW_IKESOCK_LINE_MAX 1024
/* Largest PRF output charon offers (HMAC-SHA2-512). */
#define XW_IKESOCK_KEY_MAX  64
/* Concurrent client connections the plugin serves (watchers included). */
#define XW_IKESOCK_CLIENTS  32

#endif /* XW_IKESOCK_H */
