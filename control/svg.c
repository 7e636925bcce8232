// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SVG picture of a session (svg.h).  Coordinates are computed here in
 * one pass over the records; the file is plain SVG 1.1 shapes and text.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "svg.h"

#define W	 900
#define H_TOP	 360 /* delay over time */
#define H_HIST	 200 /* distribution */
#define MARGIN_L 85
#define MARGIN_R 20
#define TITLE_H	 40		       /* the run's title line */
#define TOP0	 25		       /* in a panel: y of the time plot's top */
#define HIST0	 (TOP0 + H_TOP + 70)   /* in a panel: y of the histogram's top */
#define PANEL_H	 (HIST0 + H_HIST + 50) /* one session or direction */
#define NBINS	 40

static const char *const dir_color[3] = {"#1f77b4", "#2ca02c", "#ff7f0e"};
static const char *const dir_name[3] = {"round trip", "forward", "backward"};
static const char *const dir_class[3] = {"rtt", "fwd", "bwd"};
static const char *const ow_name[3] = {"", "one-way delay to the server",
				       "one-way delay from the server"};

static void text_escaped(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
}

static double arr_ms(const struct xw_stats_session *s, const struct xw_stats_arrival *a, int k)
{
	__s64 ns = k == 0   ? xw_stats_arr_rtt(s, a)
		   : k == 1 ? xw_stats_arr_fwd(s, a)
			    : xw_stats_arr_bwd(s, a);

	return (double)ns / 1e6;
}

/*
 * One panel at y = y0: part's delay over time and its distribution.  The
 * series: round trip, forward and backward (TWAMP), or the one-way delay
 * (OWAMP: T2 - T1 of xw_stats_from_owamp(), drawn in its direction's
 * colour).  The distribution is the round trip's, or the one-way delay's.
 */
static void panel(FILE *f, const struct xw_svg_part *part, int y0)
{
	const struct xw_stats_session *s = part->s;
	size_t np = xw_stats_npkts(s), na = xw_stats_narrivals(s), i;
	double t0 = 0, t1 = 1, ymin = 0, ymax = 1, x, y, bw;
	unsigned int bins[NBINS] = {0}, bmax = 1, lost = 0, nsamp = 0;
	double rmin = INFINITY, rmax = -INFINITY;
	int k, k0 = part->oneway ? 1 : 0, k1 = part->oneway ? 1 : 2, hk = k0, synced = 1, have = 0;
	const int plot_w = W - MARGIN_L - MARGIN_R, top = y0 + TOP0, hist = y0 + HIST0;

	if (np) {
		t0 = (double)xw_stats_pkt_at(s, 0)->t1_ns / 1e9;
		t1 = (double)xw_stats_pkt_at(s, np - 1)->t1_ns / 1e9;
		if (t1 <= t0)
			t1 = t0 + 1;
	}
	for (i = 0; i < na; i++) {
		const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);

		if (a->flags & XW_ARR_DUP)
			continue;
		for (k = k0; k <= k1; k++) {
			double v = arr_ms(s, a, k);

			if (!have || v < ymin)
				ymin = v;
			if (!have || v > ymax)
				ymax = v;
			have = 1;
		}
		rmin = fmin(rmin, arr_ms(s, a, hk));
		rmax = fmax(rmax, arr_ms(s, a, hk));
		synced &= xw_stats_arr_synced(a);
	}
	if (ymin > 0)
		ymin = 0;
	if (ymax <= ymin)
		ymax = ymin + 1;

	fputs("<g class=\"panel\">", f);
	if (part->label) {
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">",
			MARGIN_L, y0 + 12);
		text_escaped(f, part->label);
		fputs("</text>\n", f);
	}
	/* --- delay over time --- */
	fprintf(f,
		"<g class=\"time\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		"fill=\"none\" "
		"stroke=\"#888\"/>\n",
		MARGIN_L, top, plot_w, H_TOP);
	for (k = 0; k <= 4; k++) {
		double v = ymin + (ymax - ymin) * k / 4;

		y = top + H_TOP - (double)H_TOP * k / 4;
		fprintf(f,
			"<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g ms</text>\n",
			MARGIN_L, W - MARGIN_R, y, y, MARGIN_L - 5, y + 4, v);
	}
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the first packet: 0 .. "
		"%.1f s</text>\n",
		MARGIN_L + plot_w / 2, top + H_TOP + 35, t1 - t0);
	for (k = k0; k <= k1; k++) {
		int c = part->oneway ? part->oneway : k; /* colour and class */

		fprintf(f, "<g class=\"%s\" fill=\"%s\">\n", dir_class[c], dir_color[c]);
		for (i = 0; i < na; i++) {
			const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);
			const struct xw_stats_pkt *p = xw_stats_pkt_at(s, a->pkt);

			if (a->flags & XW_ARR_DUP)
				continue;
			x = MARGIN_L + plot_w * ((double)p->t1_ns / 1e9 - t0) / (t1 - t0);
			y = top + H_TOP - H_TOP * (arr_ms(s, a, k) - ymin) / (ymax - ymin);
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/>\n", x, y);
		}
		fputs("</g>\n", f);
	}
	fputs("<g class=\"lost\" stroke=\"#d62728\" stroke-width=\"2\">\n", f);
	for (i = 0; i < np; i++) {
		const struct xw_stats_pkt *p = xw_stats_pkt_at(s, i);

		if (p->first != XW_STATS_NONE)
			continue;
		lost++;
		x = MARGIN_L + plot_w * ((double)p->t1_ns / 1e9 - t0) / (t1 - t0);
		fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>\n", x, x,
			top + H_TOP + 2, top + H_TOP + 14);
	}
	fputs("</g>\n", f);
	/* legend */
	for (k = k0; k <= k1; k++) {
		int c = part->oneway ? part->oneway : k;

		fprintf(f,
			"<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" "
			"y=\"%d\">%s%s"
			"</text>\n",
			MARGIN_L + 10 + 160 * k, top + 12, dir_color[c], MARGIN_L + 18 + 160 * k,
			top + 16, part->oneway ? ow_name[c] : dir_name[k],
			c && !synced ? " (unsync)" : "");
	}
	fprintf(f,
		"<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" "
		"stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">%u lost of %zu</text>\n</g>\n",
		MARGIN_L + 490, MARGIN_L + 490, top + 6, top + 18, MARGIN_L + 498, top + 16, lost,
		np);

	/* --- distribution --- */
	bw = rmax > rmin ? (rmax - rmin) / NBINS : 1;
	for (i = 0; i < na; i++) {
		const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);
		int b;

		if (a->flags & XW_ARR_DUP)
			continue;
		b = (int)((arr_ms(s, a, hk) - rmin) / bw);
		b = b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
		bins[b]++;
		nsamp++;
	}
	for (k = 0; k < NBINS; k++)
		bmax = bins[k] > bmax ? bins[k] : bmax;
	fprintf(f,
		"<g class=\"distribution\"><text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s "
		"delay distribution (%u %s)</text>\n"
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#888\"/>\n",
		MARGIN_L, hist - 8, part->oneway ? "one-way" : "round-trip", nsamp,
		part->oneway ? "packets" : "replies", MARGIN_L, hist, plot_w, H_HIST);
	for (k = 0; k < NBINS && nsamp; k++) {
		double h = (double)H_HIST * bins[k] / bmax;

		if (!bins[k])
			continue;
		fprintf(f,
			"<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\"><title>%u</title></rect>\n",
			MARGIN_L + (double)plot_w * k / NBINS, hist + H_HIST - h,
			(double)plot_w / NBINS - 1, h, dir_color[part->oneway], bins[k]);
	}
	if (nsamp)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\">%.3f ms</text><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%.3f ms</text>\n",
			MARGIN_L, hist + H_HIST + 16, rmin, W - MARGIN_R, hist + H_HIST + 16, rmax);
	else
		fprintf(f, "<text x=\"%d\" y=\"%d\">no %s</text>\n", MARGIN_L + 10,
			hist + H_HIST / 2, part->oneway ? "packet received" : "reply");
	fputs("</g></g>\n", f);
}

int xw_svg_run(FILE *f, const char *title, const struct xw_svg_part *parts, size_t n)
{
	const int height = TITLE_H + (int)n * PANEL_H;
	size_t i;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
		W, height, W, height, MARGIN_L);
	text_escaped(f, title);
	fputs("</text>\n", f);
	for (i = 0; i < n; i++)
		panel(f, &parts[i], TITLE_H + (int)i * PANEL_H);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}

int xw_svg_session(FILE *f, const struct xw_stats_session *s, const char *title)
{
	const struct xw_svg_part part = {.s = s};

	return xw_svg_run(f, title, &part, 1);
}
