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
#define TOP0	 40		       /* y of the time plot's top */
#define HIST0	 (TOP0 + H_TOP + 70)   /* y of the histogram's top */
#define HEIGHT	 (HIST0 + H_HIST + 50) /* whole picture */
#define NBINS	 40

static const char *const dir_color[3] = {"#1f77b4", "#2ca02c", "#ff7f0e"};
static const char *const dir_name[3] = {"round trip", "forward", "backward"};

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

int xw_svg_session(FILE *f, const struct xw_stats_session *s, const char *title)
{
	size_t np = xw_stats_npkts(s), na = xw_stats_narrivals(s), i;
	double t0 = 0, t1 = 1, ymin = 0, ymax = 1, x, y, bw;
	unsigned int bins[NBINS] = {0}, bmax = 1, lost = 0, nsamp = 0;
	double rmin = INFINITY, rmax = -INFINITY;
	int k, synced = 1, have = 0;
	const int plot_w = W - MARGIN_L - MARGIN_R;

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
		for (k = 0; k < 3; k++) {
			double v = arr_ms(s, a, k);

			if (!have || v < ymin)
				ymin = v;
			if (!have || v > ymax)
				ymax = v;
			have = 1;
		}
		rmin = fmin(rmin, arr_ms(s, a, 0));
		rmax = fmax(rmax, arr_ms(s, a, 0));
		synced &= xw_stats_arr_synced(a);
	}
	if (ymin > 0)
		ymin = 0;
	if (ymax <= ymin)
		ymax = ymin + 1;

	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%d\" y=\"22\" font-size=\"15\" font-weight=\"bold\">",
		W, HEIGHT, W, HEIGHT, MARGIN_L);
	text_escaped(f, title);
	fputs("</text>\n", f);

	/* --- delay over time --- */
	fprintf(f,
		"<g id=\"time\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#888\"/>\n",
		MARGIN_L, TOP0, plot_w, H_TOP);
	for (k = 0; k <= 4; k++) {
		double v = ymin + (ymax - ymin) * k / 4;

		y = TOP0 + H_TOP - (double)H_TOP * k / 4;
		fprintf(f,
			"<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g ms</text>\n",
			MARGIN_L, W - MARGIN_R, y, y, MARGIN_L - 5, y + 4, v);
	}
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">time since the first packet: 0 .. "
		"%.1f s</text>\n",
		MARGIN_L + plot_w / 2, TOP0 + H_TOP + 35, t1 - t0);
	for (k = 0; k < 3; k++) {
		fprintf(f, "<g class=\"%s\" fill=\"%s\">\n",
			k == 0	 ? "rtt"
			: k == 1 ? "fwd"
				 : "bwd",
			dir_color[k]);
		for (i = 0; i < na; i++) {
			const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);
			const struct xw_stats_pkt *p = xw_stats_pkt_at(s, a->pkt);

			if (a->flags & XW_ARR_DUP)
				continue;
			x = MARGIN_L + plot_w * ((double)p->t1_ns / 1e9 - t0) / (t1 - t0);
			y = TOP0 + H_TOP - H_TOP * (arr_ms(s, a, k) - ymin) / (ymax - ymin);
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
			TOP0 + H_TOP + 2, TOP0 + H_TOP + 14);
	}
	fputs("</g>\n", f);
	/* legend */
	for (k = 0; k < 3; k++)
		fprintf(f,
			"<circle cx=\"%d\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"%d\" "
			"y=\"%d\">%s%s"
			"</text>\n",
			MARGIN_L + 10 + 160 * k, TOP0 + 12, dir_color[k], MARGIN_L + 18 + 160 * k,
			TOP0 + 16, dir_name[k], k && !synced ? " (unsync)" : "");
	fprintf(f,
		"<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#d62728\" "
		"stroke-width=\"2\"/><text x=\"%d\" y=\"%d\">%u lost of %zu</text>\n</g>\n",
		MARGIN_L + 490, MARGIN_L + 490, TOP0 + 6, TOP0 + 18, MARGIN_L + 498, TOP0 + 16,
		lost, np);

	/* --- round-trip distribution --- */
	bw = rmax > rmin ? (rmax - rmin) / NBINS : 1;
	for (i = 0; i < na; i++) {
		const struct xw_stats_arrival *a = xw_stats_arrival_at(s, i);
		int b;

		if (a->flags & XW_ARR_DUP)
			continue;
		b = (int)((arr_ms(s, a, 0) - rmin) / bw);
		b = b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b;
		bins[b]++;
		nsamp++;
	}
	for (k = 0; k < NBINS; k++)
		bmax = bins[k] > bmax ? bins[k] : bmax;
	fprintf(f,
		"<g id=\"distribution\"><text x=\"%d\" y=\"%d\" font-weight=\"bold\">round-trip "
		"delay distribution (%u replies)</text>\n"
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#888\"/>\n",
		MARGIN_L, HIST0 - 8, nsamp, MARGIN_L, HIST0, plot_w, H_HIST);
	for (k = 0; k < NBINS && nsamp; k++) {
		double h = (double)H_HIST * bins[k] / bmax;

		if (!bins[k])
			continue;
		fprintf(f,
			"<rect class=\"bin\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			"fill=\"%s\"><title>%u</title></rect>\n",
			MARGIN_L + (double)plot_w * k / NBINS, HIST0 + H_HIST - h,
			(double)plot_w / NBINS - 1, h, dir_color[0], bins[k]);
	}
	if (nsamp)
		fprintf(f,
			"<text x=\"%d\" y=\"%d\">%.3f ms</text><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%.3f ms</text>\n",
			MARGIN_L, HIST0 + H_HIST + 16, rmin, W - MARGIN_R, HIST0 + H_HIST + 16,
			rmax);
	else
		fprintf(f, "<text x=\"%d\" y=\"%d\">no reply</text>\n", MARGIN_L + 10,
			HIST0 + H_HIST / 2);
	fputs("</g>\n</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
