// SPDX-License-Identifier: GPL-2.0-only
/*
 * The RFC 7717 key of every IKEv2 SA, computed inside charon:
 *
 *     key = prf(SK_d, "IPPM")            (RFC 7717 5.1)
 *
 * with the SA's negotiated PRF.  SK_d stays in charon's keymat; this table
 * only holds the derived key, and wipes it when the SA goes away.
 *
 * Where the key comes from, and why not simply from the sk_d argument of
 * ike_derived_keys: charon calls that hook for the IKE SA the calling thread
 * has checked out, and the INITIATOR of an IKE rekey derives the new SA's
 * keys while it has the OLD SA checked out.  So the hook's ike_sa can be the
 * wrong one.  The table therefore always reads SK_d from the SA's own
 * keymat (keymat_v2 get_skd()): in ike_derived_keys only when it is the
 * SA's own SK_d that was just derived (new SA, rekey responder, a PPK
 * re-derivation), in ike_rekey for the new SA, and in ike_updown(up).
 *
 * Life cycle: an entry answers lookups only once its IKE SA is
 * authenticated (ike_updown up, or ike_rekey of an established SA):
 * after IKE_SA_INIT alone anyone can know SK_d.  ike_updown(down) and the
 * switch to IKE_DESTROYING remove it (a rekeyed SA gets no ike_updown down,
 * only the destroy).
 *
 * For the IPsec SA profile (the 2013 draft, control/saprof.h; README "IPsec
 * SA profile"), two more things, for setups whose keys never reach the
 * kernel SAD (kernel-libipsec):
 *   - each IKE SA's SKEYSEED (RFC 7296 2.14: prf(Ni | Nr, g^ir), or after
 *     an IKE rekey prf(SK_d(old), g^ir | Ni | Nr) with the old SA's PRF,
 *     2.18), computed in the ike_keys hook from the DH secret and the
 *     nonces charon hands it, the same way charon does; kept in the IKE
 *     SA's entry, served once the SA is authenticated;
 *   - each installed CHILD SA's keys (child_derived_keys, called after the
 *     SAs are installed, so the SPIs are known), by direction: "in" is the
 *     SA carrying traffic to this host.  An entry names its IKE SA (moved
 *     to the new one at an IKE rekey, RFC 7296 2.18: the children are
 *     inherited) and goes when the CHILD SA is deleted or destroyed.
 * Every key is wiped (chunk_clear) when its entry goes.
 */
#include "xwamp_listener.h"

#include <daemon.h>
#include <collections/hashtable.h>
#include <collections/linked_list.h>
#include <crypto/prfs/prf.h>
#include <sa/ikev2/keymat_v2.h>
#include <threading/mutex.h>

#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <stdio.h>

typedef struct private_xwamp_listener_t private_xwamp_listener_t;

struct private_xwamp_listener_t {
	xwamp_listener_t public;
	/* spis_t* -> entry_t* */
	hashtable_t *table;
	mutex_t *lock;
	xwamp_event_cb_t event_cb;
	void *event_data;
	/* child_t*, IPsec SA profile */
	linked_list_t *children;
};

/* both SPIs as strongSwan keeps them: network order, i.e. wire order */
typedef struct {
	uint64_t spi_i;
	uint64_t spi_r;
} spis_t;

typedef struct {
	spis_t spis;
	pseudo_random_function_t prf;
	/* prf(SK_d, "IPPM"); empty when the PRF could not be instantiated */
	chunk_t key;
	/* authenticated: lookups may answer */
	bool up;
	/* remote IKE address, for LIST and events */
	host_t *peer;
	/* SKEYSEED (IPsec SA profile); empty when not computed */
	chunk_t skeyseed;
} entry_t;

/* One installed CHILD SA's keys (IPsec SA profile). */
typedef struct {
	/* network order, as charon keeps them */
	uint32_t spi_in, spi_out;
	/* IPPROTO_ESP or IPPROTO_AH */
	uint8_t proto;
	/* combined mode (AES-GCM...): enc holds key || salt, no integ */
	bool aead;
	chunk_t enc_in, integ_in, enc_out, integ_out;
	/* the IKE SA it belongs to */
	spis_t ike;
} child_t;

static u_int spis_hash(const spis_t *key)
{
	return chunk_hash(chunk_from_thing(*key));
}

static bool spis_equals(const spis_t *a, const spis_t *b)
{
	return a->spi_i == b->spi_i && a->spi_r == b->spi_r;
}

static void entry_destroy(entry_t *e)
{
	chunk_clear(&e->key);
	chunk_clear(&e->skeyseed);
	DESTROY_IF(e->peer);
	free(e);
}

static spis_t spis_of(ike_sa_t *ike_sa)
{
	ike_sa_id_t *id = ike_sa->get_id(ike_sa);

	return (spis_t){
		.spi_i = id->get_initiator_spi(id),
		.spi_r = id->get_responder_spi(id),
	};
}

/* "e33d65fab7818ad9 e58d539a5b542c26" */
static void spis_fmt(const spis_t *s, char *buf, size_t len)
{
	snprintf(buf, len, "%016llx %016llx", (unsigned long long)be64toh(s->spi_i),
		 (unsigned long long)be64toh(s->spi_r));
}

static void emit(private_xwamp_listener_t *this, const char *line)
{
	if (this->event_cb)
		this->event_cb(this->event_data, line);
}

/* The SA's entry, made (not up, no keys) when there is none yet.  Locked by the caller. */
static entry_t *entry_get(private_xwamp_listener_t *this, ike_sa_t *ike_sa, spis_t spis)
{
	entry_t *e = this->table->get(this->table, &spis);

	if (!e) {
		INIT(e, .spis = spis, );
		this->table->put(this->table, &e->spis, e);
	}
	DESTROY_IF(e->peer);
	e->peer = ike_sa->get_other_host(ike_sa)->clone(ike_sa->get_other_host(ike_sa));
	return e;
}

/*
 * Compute the SA's key from its own keymat and store it (locked by the
 * caller).  With must_match set, only when the keymat's SK_d is that one.
 * Returns the entry, or NULL (IKEv1, no SK_d yet, not the SA's own SK_d).
 */
static entry_t *store_key(private_xwamp_listener_t *this, ike_sa_t *ike_sa, chunk_t must_match)
{
	keymat_v2_t *keymat;
	pseudo_random_function_t alg;
	chunk_t skd = chunk_empty, key = chunk_empty;
	spis_t spis;
	entry_t *e;
	prf_t *prf;

	if (ike_sa->get_version(ike_sa) != IKEV2)
		return NULL;
	keymat = (keymat_v2_t *)ike_sa->get_keymat(ike_sa);
	alg = keymat->get_skd(keymat, &skd);
	if (!skd.len)
		return NULL;
	if (must_match.len && !chunk_equals_const(skd, must_match))
		return NULL;
	spis = spis_of(ike_sa);

	prf = lib->crypto->create_prf(lib->crypto, alg);
	if (!prf || !prf->set_key(prf, skd) ||
	    !prf->allocate_bytes(prf, chunk_from_str("IPPM"), &key)) {
		DBG1(DBG_IKE, "xwamp: cannot compute prf(SK_d, \"IPPM\") with %N",
		     pseudo_random_function_names, alg);
		chunk_clear(&key);
		key = chunk_empty;
	}
	DESTROY_IF(prf);

	e = entry_get(this, ike_sa, spis);
	chunk_clear(&e->key);
	e->key = key;
	e->prf = alg;
	return e;
}

static void mark_up(private_xwamp_listener_t *this, entry_t *e)
{
	char spis[40], line[128];

	e->up = TRUE;
	spis_fmt(&e->spis, spis, sizeof(spis));
	snprintf(line, sizeof(line), "EVENT UP %s %H", spis, e->peer);
	emit(this, line);
}

static void remove_entry(private_xwamp_listener_t *this, ike_sa_t *ike_sa)
{
	spis_t spis = spis_of(ike_sa);
	char buf[40], line[128];
	entry_t *e;

	e = this->table->remove(this->table, &spis);
	if (!e)
		return;
	if (e->up) {
		spis_fmt(&spis, buf, sizeof(buf));
		snprintf(line, sizeof(line), "EVENT DOWN %s", buf);
		emit(this, line);
	}
	entry_destroy(e);
}

/*
 * SKEYSEED as charon computes it (keymat_v2.c derive_ike_keys): RFC 7296
 * 2.14 prf(Ni | Nr, g^ir) with the SA's PRF, whose key is cut to half the
 * PRF's key size from each nonce for the fixed-key PRFs (AES-XCBC,
 * AES-CMAC: RFC 7296 2.14, RFC 4434, RFC 4615); after an IKE rekey, 2.18
 * prf(SK_d(old), g^ir | Ni | Nr) with the OLD SA's PRF.  Empty on failure.
 */
static chunk_t skeyseed_of(ike_sa_t *ike_sa, key_exchange_t *dh, chunk_t ni, chunk_t nr,
			   ike_sa_t *rekey)
{
	chunk_t secret = chunk_empty, key = chunk_empty, data = chunk_empty, out = chunk_empty;
	pseudo_random_function_t alg;
	keymat_v2_t *keymat;
	prf_t *prf = NULL;

	if (!dh || !dh->get_shared_secret(dh, &secret))
		return chunk_empty;
	if (rekey) {
		keymat = (keymat_v2_t *)rekey->get_keymat(rekey);
		alg = keymat->get_skd(keymat, &key);
		prf = lib->crypto->create_prf(lib->crypto, alg);
		data = chunk_cat("ccc", secret, ni, nr);
		if (!prf || !key.len || !prf->set_key(prf, key) ||
		    !prf->allocate_bytes(prf, data, &out))
			out = chunk_empty;
		chunk_clear(&data);
		key = chunk_empty; /* the old keymat's own SK_d */
	} else {
		/* the new SA's PRF: its keymat has just been derived with it */
		keymat = (keymat_v2_t *)ike_sa->get_keymat(ike_sa);
		alg = keymat->get_skd(keymat, &key);
		key = chunk_empty;
		prf = lib->crypto->create_prf(lib->crypto, alg);
		if (prf && (alg == PRF_AES128_XCBC || alg == PRF_AES128_CMAC ||
			    alg == PRF_CAMELLIA128_XCBC)) {
			ni.len = min(ni.len, prf->get_key_size(prf) / 2);
			nr.len = min(nr.len, prf->get_key_size(prf) / 2);
		}
		key = chunk_cat("cc", ni, nr);
		if (!prf || !prf->set_key(prf, key) || !prf->allocate_bytes(prf, secret, &out))
			out = chunk_empty;
		chunk_clear(&key);
	}
	DESTROY_IF(prf);
	chunk_clear(&secret);
	return out;
}

METHOD(listener_t, ike_keys, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       key_exchange_t *dh, chunk_t dh_other, chunk_t nonce_i, chunk_t nonce_r, ike_sa_t *rekey,
       shared_key_t *shared, auth_method_t method)
{
	chunk_t seed;
	entry_t *e;

	if (!ike_sa || ike_sa->get_version(ike_sa) != IKEV2)
		return TRUE;
	seed = skeyseed_of(ike_sa, dh, nonce_i, nonce_r, rekey);
	if (!seed.len) {
		DBG1(DBG_IKE, "xwamp: cannot compute SKEYSEED of IKE_SA %s[%u]",
		     ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
		return TRUE;
	}
	this->lock->lock(this->lock);
	/* ike_sa is the SA whose keys these are, also for a rekey's initiator */
	e = entry_get(this, ike_sa, spis_of(ike_sa));
	chunk_clear(&e->skeyseed);
	e->skeyseed = seed;
	this->lock->unlock(this->lock);
	return TRUE;
}

static void child_destroy(child_t *c)
{
	chunk_clear(&c->enc_in);
	chunk_clear(&c->integ_in);
	chunk_clear(&c->enc_out);
	chunk_clear(&c->integ_out);
	free(c);
}

/* Remove the entries with these SPIs (locked by the caller). */
static void child_remove(private_xwamp_listener_t *this, uint32_t spi_in, uint32_t spi_out)
{
	enumerator_t *en = this->children->create_enumerator(this->children);
	child_t *c;

	while (en->enumerate(en, &c)) {
		if (c->spi_in == spi_in && c->spi_out == spi_out) {
			this->children->remove_at(this->children, en);
			child_destroy(c);
		}
	}
	en->destroy(en);
}

METHOD(listener_t, child_derived_keys, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child_sa, bool initiator, chunk_t encr_i, chunk_t encr_r, chunk_t integ_i,
       chunk_t integ_r)
{
	proposal_t *prop = child_sa->get_proposal(child_sa);
	uint16_t enc = 0;
	child_t *c;

	if (!ike_sa || ike_sa->get_version(ike_sa) != IKEV2)
		return TRUE;
	INIT(c, .spi_in = child_sa->get_spi(child_sa, TRUE),
	     .spi_out = child_sa->get_spi(child_sa, FALSE),
	     .proto = child_sa->get_protocol(child_sa) == PROTO_AH ? IPPROTO_AH : IPPROTO_ESP,
	     .ike = spis_of(ike_sa), );
	if (prop && prop->get_algorithm(prop, ENCRYPTION_ALGORITHM, &enc, NULL))
		c->aead = encryption_algorithm_is_aead(enc);
	/*
	 * RFC 7296 2.17: the "i" keys protect initiator -> responder; the
	 * initiator of this exchange sends with them, the responder receives.
	 */
	c->enc_in = chunk_clone(initiator ? encr_r : encr_i);
	c->integ_in = chunk_clone(initiator ? integ_r : integ_i);
	c->enc_out = chunk_clone(initiator ? encr_i : encr_r);
	c->integ_out = chunk_clone(initiator ? integ_i : integ_r);
	this->lock->lock(this->lock);
	child_remove(this, c->spi_in, c->spi_out);
	this->children->insert_last(this->children, c);
	this->lock->unlock(this->lock);
	DBG2(DBG_CHD, "xwamp: keys of CHILD_SA %s{%u} kept", child_sa->get_name(child_sa),
	     child_sa->get_unique_id(child_sa));
	return TRUE;
}

METHOD(listener_t, child_state_change, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       child_sa_t *child_sa, child_sa_state_t state)
{
	if (state != CHILD_DELETED && state != CHILD_DESTROYING)
		return TRUE;
	this->lock->lock(this->lock);
	child_remove(this, child_sa->get_spi(child_sa, TRUE), child_sa->get_spi(child_sa, FALSE));
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_derived_keys, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       chunk_t sk_d, chunk_t sk_ai, chunk_t sk_ar, chunk_t sk_ei, chunk_t sk_er, chunk_t sk_pi,
       chunk_t sk_pr)
{
	entry_t *e;

	if (!ike_sa || !sk_d.len)
		return TRUE;
	this->lock->lock(this->lock);
	e = store_key(this, ike_sa, sk_d);
	/* a PPK re-derivation of an established SA: the new key takes over */
	if (e)
		DBG2(DBG_IKE, "xwamp: RFC 7717 key derived for IKE_SA %s[%u]",
		     ike_sa->get_name(ike_sa), ike_sa->get_unique_id(ike_sa));
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_updown, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa, bool up)
{
	entry_t *e;

	this->lock->lock(this->lock);
	if (up) {
		e = store_key(this, ike_sa, chunk_empty);
		if (e)
			mark_up(this, e);
	} else {
		remove_entry(this, ike_sa);
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_rekey, bool, private_xwamp_listener_t *this, ike_sa_t *old, ike_sa_t *new)
{
	spis_t os = spis_of(old);
	char a[40], b[40], line[128];
	entry_t *e, *olde;
	enumerator_t *en;
	child_t *c;

	this->lock->lock(this->lock);
	olde = this->table->get(this->table, &os);
	e = store_key(this, new, chunk_empty);
	/* the children move to the new SA (RFC 7296 2.18) */
	en = this->children->create_enumerator(this->children);
	while (en->enumerate(en, &c))
		if (spis_equals(&c->ike, &os))
			c->ike = spis_of(new);
	en->destroy(en);
	/* the new SA inherits the old one's authentication (RFC 7296 2.18) */
	if (e && olde && olde->up) {
		e->up = TRUE;
		spis_fmt(&os, a, sizeof(a));
		spis_fmt(&e->spis, b, sizeof(b));
		snprintf(line, sizeof(line), "EVENT REKEY %s %s", a, b);
		emit(this, line);
	}
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(listener_t, ike_state_change, bool, private_xwamp_listener_t *this, ike_sa_t *ike_sa,
       ike_sa_state_t state)
{
	if (state != IKE_DESTROYING)
		return TRUE;
	this->lock->lock(this->lock);
	remove_entry(this, ike_sa);
	this->lock->unlock(this->lock);
	return TRUE;
}

METHOD(xwamp_listener_t, lookup, void, private_xwamp_listener_t *this, uint64_t spi_i,
       uint64_t spi_r, char *buf, size_t len)
{
	spis_t spis = {.spi_i = spi_i, .spi_r = spi_r};
	char s[40];
	entry_t *e;
	size_t n, i;

	this->lock->lock(this->lock);
	e = this->table->get(this->table, &spis);
	if (!e || !e->up) {
		snprintf(buf, len, "ERR ENOENT no established IKE SA with these SPIs");
	} else if (!e->key.len) {
		snprintf(buf, len, "ERR ENOTSUP no key: %N not available in charon",
			 pseudo_random_function_names, e->prf);
	} else {
		spis_fmt(&spis, s, sizeof(s));
		n = snprintf(buf, len, "KEY %s %N ", s, pseudo_random_function_names, e->prf);
		for (i = 0; i < e->key.len && n + 3 <= len; i++)
			n += snprintf(buf + n, len - n, "%02x", e->key.ptr[i]);
		if (i < e->key.len) {
			memwipe(buf, len);
			snprintf(buf, len, "ERR ENOTSUP key too long for a line");
		}
	}
	this->lock->unlock(this->lock);
}

/* " <hex>" or " -" */
static size_t hex_put(char *buf, size_t len, size_t n, chunk_t c)
{
	size_t i;

	if (n + 2 >= len)
		return len;
	if (!c.len)
		return n + snprintf(buf + n, len - n, " -");
	n += snprintf(buf + n, len - n, " ");
	for (i = 0; i < c.len && n + 3 <= len; i++)
		n += snprintf(buf + n, len - n, "%02x", c.ptr[i]);
	return i < c.len ? len : n;
}

METHOD(xwamp_listener_t, lookup_child, void, private_xwamp_listener_t *this, uint8_t proto,
       uint32_t spi_in, uint32_t spi_out, char *buf, size_t len)
{
	enumerator_t *en;
	child_t *c, *found = NULL;
	entry_t *e;
	char s[40];
	size_t n;

	this->lock->lock(this->lock);
	en = this->children->create_enumerator(this->children);
	while (en->enumerate(en, &c))
		if (c->proto == proto && c->spi_in == spi_in && c->spi_out == spi_out)
			found = c;
	en->destroy(en);
	if (!found) {
		snprintf(buf, len, "ERR ENOENT no CHILD SA with these SPIs");
		this->lock->unlock(this->lock);
		return;
	}
	c = found;
	e = this->table->get(this->table, &c->ike);
	spis_fmt(&c->ike, s, sizeof(s));
	n = snprintf(buf, len, "CHILDKEY %s %08x %08x %s", c->proto == IPPROTO_AH ? "ah" : "esp",
		     ntohl(c->spi_in), ntohl(c->spi_out), c->aead ? "aead" : "-");
	n = hex_put(buf, len, n, c->enc_in);
	n = hex_put(buf, len, n, c->integ_in);
	n = hex_put(buf, len, n, c->enc_out);
	n = hex_put(buf, len, n, c->integ_out);
	if (n < len)
		n += snprintf(buf + n, len - n, " %s", s);
	/* SKEYSEED only of an authenticated IKE SA, as the RFC 7717 key */
	n = hex_put(buf, len, n, e && e->up ? e->skeyseed : chunk_empty);
	if (n >= len) {
		memwipe(buf, len);
		snprintf(buf, len, "ERR ENOTSUP keys too long for a line");
	}
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, list, void, private_xwamp_listener_t *this,
       void (*cb)(void *data, const char *line), void *data)
{
	enumerator_t *en;
	char s[40], line[160];
	spis_t *k;
	entry_t *e;

	this->lock->lock(this->lock);
	en = this->table->create_enumerator(this->table);
	while (en->enumerate(en, &k, &e)) {
		spis_fmt(&e->spis, s, sizeof(s));
		snprintf(line, sizeof(line), "SA %s %H %s", s, e->peer, e->up ? "UP" : "PENDING");
		cb(data, line);
	}
	en->destroy(en);
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, set_event_cb, void, private_xwamp_listener_t *this, xwamp_event_cb_t cb,
       void *data)
{
	this->lock->lock(this->lock);
	this->event_cb = cb;
	this->event_data = data;
	this->lock->unlock(this->lock);
}

METHOD(xwamp_listener_t, destroy, void, private_xwamp_listener_t *this)
{
	enumerator_t *en;
	spis_t *k;
	entry_t *e;

	en = this->table->create_enumerator(this->table);
	while (en->enumerate(en, &k, &e)) {
		this->table->remove_at(this->table, en);
		entry_destroy(e);
	}
	en->destroy(en);
	this->table->destroy(this->table);
	this->children->destroy_function(this->children, (void *)child_destroy);
	this->lock->destroy(this->lock);
	free(this);
}

xwamp_listener_t *xwamp_listener_create(void)
{
	private_xwamp_listener_t *this;

	INIT(this,
	     .public =
		     {
			     .listener =
				     {
					     .ike_keys = _ike_keys,
					     .ike_derived_keys = _ike_derived_keys,
					     .child_derived_keys = _child_derived_keys,
					     .child_state_change = _child_state_change,
					     .ike_updown = _ike_updown,
					     .ike_rekey = _ike_rekey,
					     .ike_state_change = _ike_state_change,
				     },
			     .lookup = _lookup,
			     .lookup_child = _lookup_child,
			     .list = _list,
			     .set_event_cb = _set_event_cb,
			     .destroy = _destroy,
		     },
	     .table = hashtable_create((hashtable_hash_t)spis_hash, (hashtable_equals_t)spis_equals,
				       32),
	     .lock = mutex_create(MUTEX_TYPE_DEFAULT), .children = linked_list_create(), );
	return &this->public;
}
