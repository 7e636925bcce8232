// SPDX-License-Identifier: GPL-2.0-only
/*
 * xwamp's charon plugin: RFC 7717 O/TWAMP keys, prf(SK_d, "IPPM"), computed
 * inside charon (doc/design.md decision 2) and handed to xwampd/xwping
 * over a root-only UNIX socket.  SK_d never leaves charon.  For the
 * EXPERIMENTAL IPsec SA profile it also hands out CHILD SA keys and
 * SKEYSEED, but only with charon.plugins.xwamp.sa_keys = yes (they decrypt
 * the tunnel and the IKE SA: xwamp_socket.c, loader/lib/ikesock.h).
 *
 * charon loads it as /usr/lib/ipsec/plugins/libstrongswan-xwamp.so when its
 * load list (charon.load) or a strongswan.d fragment names "xwamp".
 * Settings: charon.plugins.xwamp.socket (default /run/xwamp/charon.sock),
 * .user (a non-root user admitted), .sa_keys (default no).
 *
 * It must be compiled against the source of the exact strongSwan version
 * that loads it, configured like the distribution's build (Makefile target
 * charon-plugin; README "strongSwan plugin").
 */
#include "xwamp_listener.h"
#include "xwamp_socket.h"

#include <daemon.h>
#include <plugins/plugin.h>

typedef struct {
	plugin_t plugin;
	xwamp_listener_t *listener;
	xwamp_socket_t *socket;
} private_xwamp_plugin_t;

/*
 * charon's plugin loader looks this up by the plugin's name; everything
 * else is hidden (-fvisibility=hidden).
 */
__attribute__((visibility("default"))) plugin_t *xwamp_plugin_create(void);

METHOD(plugin_t, get_name, char *, private_xwamp_plugin_t *this)
{
	return "xwamp";
}

static bool plugin_cb(private_xwamp_plugin_t *this, plugin_feature_t *feature, bool reg,
		      void *cb_data)
{
	if (reg) {
		this->listener = xwamp_listener_create();
		this->socket = xwamp_socket_create(this->listener);
		if (!this->socket) {
			this->listener->destroy(this->listener);
			this->listener = NULL;
			return FALSE;
		}
		charon->bus->add_listener(charon->bus, &this->listener->listener);
	} else if (this->listener) {
		charon->bus->remove_listener(charon->bus, &this->listener->listener);
		/* socket first: it sends events through the listener */
		this->socket->destroy(this->socket);
		this->listener->destroy(this->listener);
		this->socket = NULL;
		this->listener = NULL;
	}
	return TRUE;
}

METHOD(plugin_t, get_features, int, private_xwamp_plugin_t *this, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK((plugin_feature_callback_t)plugin_cb, NULL),
		PLUGIN_PROVIDE(CUSTOM, "xwamp"),
	};
	*features = f;
	return countof(f);
}

METHOD(plugin_t, destroy, void, private_xwamp_plugin_t *this)
{
	if (this->listener) {
		charon->bus->remove_listener(charon->bus, &this->listener->listener);
		this->socket->destroy(this->socket);
		this->listener->destroy(this->listener);
	}
	free(this);
}

plugin_t *xwamp_plugin_create(void)
{
	private_xwamp_plugin_t *this;

	INIT(this,
	     .plugin = {
		     .get_name = _get_name,
		     .get_features = _get_features,
		     .destroy = _destroy,
	     }, );
	return &this->plugin;
}
