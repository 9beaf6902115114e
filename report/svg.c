/* SPDX-License-Identifier: MIT */
/* vexp report: a chart as a standalone SVG document (libxml2 tree). */
#include <libxml/tree.h>
#include <math.h>
#include <string.h>

#include "report-internal.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

#define SVG_NS "http://www.w3.org/2000/svg"

/* ---- SVG ----------------------------------------------------------- */

/* layout, px */
#define SVG_PAD 16    /* outer margin */
#define SVG_YLABEL 22 /* the rotated y axis label */
#define SVG_TICKS 52  /* y tick labels left of each plot */
#define SVG_PLOT_W 440
#define SVG_PLOT_H 260
#define SVG_GAP 28   /* between panels */
#define SVG_TOP 88   /* title, subtitle, panel title */
#define SVG_XAXIS 48 /* x tick labels and the x label */
#define SVG_LEGEND_ROW 20
#define SVG_CHAR_W 7.0         /* average glyph width at 12 px, for the legend layout */
#define SVG_CAPTION_CHAR_W 6.4 /* the same at 11 px */
#define SVG_CAPTION_ROW 15

static void set_attr(xmlNodePtr n, const char *name, const char *value)
{
    xmlSetProp(n, BAD_CAST name, BAD_CAST value);
}

static void set_num(xmlNodePtr n, const char *name, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_formatd(buf, sizeof(buf), "%.2f", v);
    /* trim "12.00" to "12" to keep files small */
    char *dot = strchr(buf, '.');
    if (dot) {
        char *e = buf + strlen(buf) - 1;
        while (e > dot && *e == '0')
            *e-- = '\0';
        if (e == dot)
            *e = '\0';
    }
    xmlSetProp(n, BAD_CAST name, BAD_CAST buf);
}

static xmlNodePtr svg_el(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

static xmlNodePtr svg_line(xmlNodePtr parent, double x1, double y1, double x2, double y2,
                           const char *stroke, double width)
{
    xmlNodePtr l = svg_el(parent, "line");
    set_num(l, "x1", x1);
    set_num(l, "y1", y1);
    set_num(l, "x2", x2);
    set_num(l, "y2", y2);
    set_attr(l, "stroke", stroke);
    set_num(l, "stroke-width", width);
    return l;
}

static xmlNodePtr svg_text(xmlNodePtr parent, double x, double y, const char *anchor, double size,
                           const char *text)
{
    xmlNodePtr t = xmlNewTextChild(parent, NULL, BAD_CAST "text", BAD_CAST text);
    set_num(t, "x", x);
    set_num(t, "y", y);
    if (anchor)
        set_attr(t, "text-anchor", anchor);
    set_num(t, "font-size", size);
    return t;
}

/* text in lines of at most width characters, broken at spaces; NULL for NULL */
static GStrv wrap_text(const char *text, double width)
{
    if (!text || !*text)
        return NULL;
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) line = g_string_new(NULL);
    for (guint i = 0; words[i]; i++) {
        if (line->len && g_utf8_strlen(line->str, -1) + 1 + g_utf8_strlen(words[i], -1) > width) {
            g_ptr_array_add(lines, g_strdup(line->str));
            g_string_truncate(line, 0);
        }
        if (line->len)
            g_string_append_c(line, ' ');
        g_string_append(line, words[i]);
    }
    if (line->len)
        g_ptr_array_add(lines, g_strdup(line->str));
    g_ptr_array_add(lines, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&lines), FALSE);
}

static const char *style_dash(report_style s)
{
    return s == REPORT_STYLE_DASHED ? "7,5" : s == REPORT_STYLE_DOTTED ? "2,3" : NULL;
}

report_scale report_chart_y_scale(const report_chart *chart)
{
    double data_hi = -INFINITY, data_lo = INFINITY, theory_hi = -INFINITY, pos_lo = INFINITY;

    /* the means set the axis; whiskers are cut at its edge (their caps then missing) */
    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            for (guint i = 0; i < se->points->len; i++) {
                const report_point *pt = &g_array_index(se->points, report_point, i);
                if (!isfinite(pt->y))
                    continue;
                if (se->style == REPORT_STYLE_DASHED) {
                    theory_hi = MAX(theory_hi, pt->y);
                    continue;
                }
                data_hi = MAX(data_hi, pt->y);
                data_lo = MIN(data_lo, pt->y);
                if (pt->y > 0)
                    pos_lo = MIN(pos_lo, pt->y);
            }
        }
    }
    if (isfinite(theory_hi) && (!isfinite(data_hi) || theory_hi <= 4 * data_hi))
        data_hi = MAX(data_hi, theory_hi);
    if (chart->log_y)
        return report_scale_log(pos_lo, data_hi);
    /* 5 % headroom so that the top marker is not on the frame */
    return report_scale_nice(data_lo, isfinite(data_hi) ? data_hi * 1.05 : data_hi, 7, TRUE);
}

static gboolean theory_clipped(const report_chart *chart, const report_scale *ys)
{
    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            if (se->style != REPORT_STYLE_DASHED)
                continue;
            for (guint i = 0; i < se->points->len; i++)
                if (g_array_index(se->points, report_point, i).y > ys->max)
                    return TRUE;
        }
    }
    return FALSE;
}

typedef struct plot_area {
    double x0, y0, w, h;
    report_scale ys;
    const report_chart *chart;
} plot_area;

static double map_x(const plot_area *a, double x)
{
    const report_chart *c = a->chart;
    if (c->x_categories) {
        double band = a->w / MAX(c->categories->len, 1u);
        return a->x0 + (x + 0.5) * band;
    }
    double span = c->x_max - c->x_min;
    return a->x0 + (span > 0 ? (x - c->x_min) / span : 0.5) * a->w;
}

/* y in data units to px, kept inside the plot area (log: values <= 0 at the bottom) */
static double map_y(const plot_area *a, double y)
{
    double f;
    if (a->ys.log)
        f = y > 0 ? (log10(y) - log10(a->ys.min)) / (log10(a->ys.max) - log10(a->ys.min)) : 0;
    else
        f = (y - a->ys.min) / (a->ys.max - a->ys.min);
    return a->y0 + a->h - CLAMP(f, 0.0, 1.0) * a->h;
}

static gboolean inside_y(const plot_area *a, double y)
{
    return y >= a->ys.min && y <= a->ys.max && (!a->ys.log || y > 0);
}

static void draw_axes(xmlNodePtr g, const plot_area *a)
{
    const report_chart *c = a->chart;

    for (guint i = 0; i < a->ys.n_ticks; i++) {
        double v = a->ys.log ? a->ys.min * pow(10, i) : a->ys.min + i * a->ys.step;
        double y = map_y(a, v);
        /* log: 100k, not 0.1M */
        double lstep = v >= 1e5 && v < 1e6 ? v / 10 : v;
        g_autofree char *label = report_tick_label(v, a->ys.log ? lstep : a->ys.step);
        svg_line(g, a->x0, y, a->x0 + a->w, y, "#e3e3e3", 1);
        svg_line(g, a->x0 - 4, y, a->x0, y, "#000000", 1);
        svg_text(g, a->x0 - 7, y + 4, "end", 11, label);
    }
    if (c->x_categories) {
        for (guint i = 0; i < c->categories->len; i++) {
            double x = map_x(a, i);
            svg_line(g, x, a->y0 + a->h, x, a->y0 + a->h + 4, "#000000", 1);
            svg_text(g, x, a->y0 + a->h + 17, "middle", 11, g_ptr_array_index(c->categories, i));
        }
    } else {
        report_scale xs = report_scale_nice(c->x_min, c->x_max, 11, TRUE);
        for (guint i = 0; i < xs.n_ticks; i++) {
            double v = xs.min + i * xs.step;
            if (v > c->x_max + 1e-9)
                break;
            double x = map_x(a, v);
            g_autofree char *label = report_tick_label(v, xs.step);
            svg_line(g, x, a->y0 + a->h, x, a->y0 + a->h + 4, "#000000", 1);
            svg_text(g, x, a->y0 + a->h + 17, "middle", 11, label);
        }
    }
    svg_line(g, a->x0, a->y0 + a->h, a->x0 + a->w, a->y0 + a->h, "#000000", 1);
    svg_line(g, a->x0, a->y0, a->x0, a->y0 + a->h, "#000000", 1);
    svg_text(g, a->x0 + a->w / 2, a->y0 + a->h + 36, "middle", 12, c->x_label);
}

static void draw_marker(xmlNodePtr g, double x, double y, report_marker m, const char *color,
                        gboolean hollow)
{
    xmlNodePtr n;
    char buf[4][G_ASCII_DTOSTR_BUF_SIZE];

    if (m == REPORT_MARKER_CIRCLE) {
        n = svg_el(g, "circle");
        set_num(n, "cx", x);
        set_num(n, "cy", y);
        set_num(n, "r", 3.5);
    } else if (m == REPORT_MARKER_SQUARE) {
        n = svg_el(g, "rect");
        set_num(n, "x", x - 3.2);
        set_num(n, "y", y - 3.2);
        set_num(n, "width", 6.4);
        set_num(n, "height", 6.4);
    } else {
        /* triangle or diamond, 4.5 px from the centre */
        g_autofree char *pts = NULL;
        g_ascii_formatd(buf[0], sizeof(buf[0]), "%.2f", x);
        g_ascii_formatd(buf[1], sizeof(buf[1]), "%.2f", y);
        g_ascii_formatd(buf[2], sizeof(buf[2]), "%.2f", 4.5);
        if (m == REPORT_MARKER_TRIANGLE)
            pts = g_strdup_printf("M%s %s m0 -%s l3.9 6.75 l-7.8 0 z", buf[0], buf[1], buf[2]);
        else
            pts = g_strdup_printf("M%s %s m0 -%s l4.5 4.5 l-4.5 4.5 l-4.5 -4.5 z", buf[0], buf[1],
                                  buf[2]);
        n = svg_el(g, "path");
        set_attr(n, "d", pts);
    }
    set_attr(n, "class", "marker");
    set_attr(n, "fill", hollow ? "#ffffff" : color);
    set_attr(n, "stroke", color);
    set_num(n, "stroke-width", 1.5);
}

/* The theoretical line, cut where it leaves the plot at the top: a path
 * with no coordinate outside the plot area. */
static void draw_theory(xmlNodePtr g, const plot_area *a, const report_series *s)
{
    g_autoptr(GString) d = g_string_new(NULL);
    char bx[G_ASCII_DTOSTR_BUF_SIZE], by[G_ASCII_DTOSTR_BUF_SIZE];
    gboolean pen_down = FALSE;

    for (guint i = 0; i + 1 < s->points->len || (i == 0 && s->points->len == 1); i++) {
        const report_point *p0 = &g_array_index(s->points, report_point, i);
        const report_point *p1 =
            &g_array_index(s->points, report_point, MIN(i + 1, s->points->len - 1));
        if (!isfinite(p0->y) || !isfinite(p1->y)) {
            pen_down = FALSE;
            continue;
        }
        /* in px, clipped to the plot's y range */
        double x0 = map_x(a, p0->x), x1 = map_x(a, p1->x);
        double y0 = map_y(a, p0->y), y1 = map_y(a, p1->y);
        double u0 = inside_y(a, p0->y) ? 0 : NAN, u1 = inside_y(a, p1->y) ? 1 : NAN;
        if (isnan(u0) && isnan(u1)) {
            pen_down = FALSE;
            continue;
        }
        if (isnan(u0) || isnan(u1)) {
            /* where the straight segment crosses the top, in the axis' own units */
            double top = a->ys.log ? log10(a->ys.max) : a->ys.max;
            double v0 = a->ys.log ? log10(p0->y) : p0->y, v1 = a->ys.log ? log10(p1->y) : p1->y;
            double t = v1 != v0 ? (top - v0) / (v1 - v0) : 0;
            double xt = x0 + CLAMP(t, 0.0, 1.0) * (x1 - x0);
            if (isnan(u0))
                x0 = xt, y0 = a->y0, pen_down = FALSE;
            else
                x1 = xt, y1 = a->y0;
        }
        if (!pen_down) {
            g_ascii_formatd(bx, sizeof(bx), "%.2f", x0);
            g_ascii_formatd(by, sizeof(by), "%.2f", y0);
            g_string_append_printf(d, "M%s %s ", bx, by);
        }
        g_ascii_formatd(bx, sizeof(bx), "%.2f", x1);
        g_ascii_formatd(by, sizeof(by), "%.2f", y1);
        g_string_append_printf(d, "L%s %s ", bx, by);
        pen_down = isfinite(u1);
    }
    xmlNodePtr path = svg_el(g, "path");
    set_attr(path, "d", d->str);
    set_attr(path, "fill", "none");
    set_attr(path, "stroke", s->color);
    set_num(path, "stroke-width", 1.5);
    set_attr(path, "stroke-dasharray", style_dash(REPORT_STYLE_DASHED));
}

static void draw_series(xmlNodePtr g, const plot_area *a, const report_series *s, double dodge)
{
    g_autoptr(GString) d = g_string_new(NULL);
    gboolean pen_down = FALSE;
    char buf[2][G_ASCII_DTOSTR_BUF_SIZE];

    if (s->style == REPORT_STYLE_DASHED) {
        draw_theory(g, a, s);
        return;
    }
    /* the line, broken where a frame size has no figure */
    for (guint i = 0; i < s->points->len; i++) {
        const report_point *pt = &g_array_index(s->points, report_point, i);
        if (!isfinite(pt->y)) {
            pen_down = FALSE;
            continue;
        }
        g_ascii_formatd(buf[0], sizeof(buf[0]), "%.2f", map_x(a, pt->x) + dodge);
        g_ascii_formatd(buf[1], sizeof(buf[1]), "%.2f", map_y(a, pt->y));
        g_string_append_printf(d, "%s%s %s ", pen_down ? "L" : "M", buf[0], buf[1]);
        pen_down = TRUE;
    }
    xmlNodePtr path = svg_el(g, "path");
    set_attr(path, "d", d->str);
    set_attr(path, "fill", "none");
    set_attr(path, "stroke", s->color);
    set_num(path, "stroke-width", s->style == REPORT_STYLE_DOTTED ? 1.5 : 2);
    if (s->dash)
        set_attr(path, "stroke-dasharray", s->dash);
    for (guint i = 0; i < s->points->len; i++) {
        const report_point *pt = &g_array_index(s->points, report_point, i);
        if (!isfinite(pt->y))
            continue;
        double x = map_x(a, pt->x) + dodge;
        if (isfinite(pt->lo) && isfinite(pt->hi) && pt->hi > pt->lo) {
            /* cut at the plot's edge; a cap only where the whisker really ends */
            double y1 = map_y(a, pt->lo), y2 = map_y(a, pt->hi);
            xmlNodePtr w = svg_line(g, x, y1, x, y2, s->color, 1.2);
            set_attr(w, "class", "whisker");
            if (!pt->lo_clamped && inside_y(a, pt->lo))
                svg_line(g, x - 3.5, y1, x + 3.5, y1, s->color, 1.2);
            if (!pt->hi_clamped && inside_y(a, pt->hi))
                svg_line(g, x - 3.5, y2, x + 3.5, y2, s->color, 1.2);
        }
        draw_marker(g, x, map_y(a, pt->y), s->marker, s->color, s->style == REPORT_STYLE_DOTTED);
    }
}

typedef struct legend_entry {
    const char *name, *color, *dash;
    report_style style;
    report_marker marker;
} legend_entry;

/* One panel (direction): its axes, its series side by side, its clip path in defs. */
static void draw_panel(xmlNodePtr root, xmlNodePtr defs, const report_chart *chart, guint p,
                       const report_scale *ys_in)
{
    double panel_w = SVG_TICKS + SVG_PLOT_W;
    report_scale ys = *ys_in;
    const report_panel *panel = g_ptr_array_index(chart->panels, p);
    plot_area a = {SVG_PAD + SVG_YLABEL + SVG_TICKS + p * (panel_w + SVG_GAP),
                   SVG_TOP,
                   SVG_PLOT_W,
                   SVG_PLOT_H,
                   ys,
                   chart};
    xmlNodePtr g = svg_el(root, "g");
    g_autofree char *clip_id = g_strdup_printf("clip-%s-%u", chart->id, p);
    g_autofree char *clip_ref = g_strdup_printf("url(#%s)", clip_id);
    xmlNodePtr clip = svg_el(defs, "clipPath");
    set_attr(clip, "id", clip_id);
    xmlNodePtr cr = svg_el(clip, "rect");
    /* a little room above the axis so markers at the top are whole */
    set_num(cr, "x", a.x0 - 8);
    set_num(cr, "y", a.y0 - 6);
    set_num(cr, "width", a.w + 16);
    set_num(cr, "height", a.h + 12);

    set_attr(g, "class", "panel");
    set_attr(g, "data-direction", panel->direction);
    /* the plot area (x y width height), for checks that read the SVG back */
    g_autofree char *plot =
        g_strdup_printf("%d %d %d %d", (int)a.x0, (int)a.y0, (int)a.w, (int)a.h);
    set_attr(g, "data-plot", plot);
    svg_text(g, a.x0 + a.w / 2, a.y0 - 10, "middle", 13, panel->title);
    draw_axes(g, &a);
    xmlNodePtr data = svg_el(g, "g");
    set_attr(data, "clip-path", clip_ref);
    guint n_measured = 0;
    for (guint s = 0; s < panel->series->len; s++)
        if (((report_series *)g_ptr_array_index(panel->series, s))->style != REPORT_STYLE_DASHED)
            n_measured++;
    guint k = 0;
    for (guint s = 0; s < panel->series->len; s++) {
        const report_series *se = g_ptr_array_index(panel->series, s);
        xmlNodePtr sg = svg_el(data, "g");
        set_attr(sg, "class", se->style == REPORT_STYLE_DASHED ? "theory" : "series");
        set_attr(sg, "data-name", se->name);
        double dodge = 0;
        if (chart->x_categories && se->style != REPORT_STYLE_DASHED && n_measured > 1) {
            /* side by side inside a category, so that error bars do not overlap */
            double band = a.w / MAX(chart->categories->len, 1u);
            double step = MIN(7.0, band * 0.5 / n_measured);
            dodge = (k - (n_measured - 1) / 2.0) * step;
        }
        if (se->style != REPORT_STYLE_DASHED)
            k++;
        draw_series(sg, &a, se, dodge);
    }
    if (n_measured == 0) {
        xmlNodePtr t = svg_text(g, a.x0 + a.w / 2, a.y0 + a.h / 2, "middle", 13, "not measured");
        set_attr(t, "fill", "#7f7f7f");
    }
}

static char *legend_text(const legend_entry *e, gboolean clipped)
{
    return g_strdup_printf("%s%s", e->name,
                           e->style == REPORT_STYLE_DASHED && clipped ? " (partly off the scale)"
                                                                      : "");
}

/* Each distinct series name once, in order of appearance, in rows that fit
 * the width: fills legend, lx (x of each entry) and lrow; returns the rows. */
static guint legend_layout(const report_chart *chart, gboolean clipped, double width,
                           GArray *legend, GArray *lx, GArray *lrow)
{
    g_autoptr(GHashTable) in_legend = g_hash_table_new(g_str_hash, g_str_equal);

    /* legend entries: each distinct series name once, in order of appearance */
    for (guint p = 0; p < chart->panels->len; p++) {
        const report_panel *panel = g_ptr_array_index(chart->panels, p);
        for (guint s = 0; s < panel->series->len; s++) {
            const report_series *se = g_ptr_array_index(panel->series, s);
            if (g_hash_table_add(in_legend, se->name)) {
                legend_entry e = {se->name, se->color, se->dash, se->style, se->marker};
                g_array_append_val(legend, e);
            }
        }
    }
    /* legend layout: rows that fit the width */
    double x = SVG_PAD + SVG_YLABEL + SVG_TICKS;
    guint row = 0;
    for (guint i = 0; i < legend->len; i++) {
        const legend_entry *e = &g_array_index(legend, legend_entry, i);
        g_autofree char *text = legend_text(e, clipped);
        double w = 34 + g_utf8_strlen(text, -1) * SVG_CHAR_W + 18;
        if (x + w > width - SVG_PAD && x > SVG_PAD + SVG_YLABEL + SVG_TICKS)
            x = SVG_PAD + SVG_YLABEL + SVG_TICKS, row++;
        g_array_append_val(lx, x);
        g_array_append_val(lrow, row);
        x += w;
    }
    return legend->len ? row + 1 : 0;
}

char *report_chart_svg(const report_chart *chart, gsize *ret_len)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "svg");
    xmlNsPtr ns = xmlNewNs(root, BAD_CAST SVG_NS, NULL);
    guint np = MAX(chart->panels->len, 1u);
    report_scale ys = report_chart_y_scale(chart);
    gboolean clipped = theory_clipped(chart, &ys);
    double panel_w = SVG_TICKS + SVG_PLOT_W;
    double width = 2 * SVG_PAD + SVG_YLABEL + np * panel_w + (np - 1) * SVG_GAP;
    g_autoptr(GArray) legend = g_array_new(FALSE, FALSE, sizeof(legend_entry));
    g_autoptr(GArray) lx = g_array_new(FALSE, FALSE, sizeof(double));
    g_autoptr(GArray) lrow = g_array_new(FALSE, FALSE, sizeof(guint));

    xmlSetNs(root, ns);
    xmlDocSetRootElement(doc, root);

    guint legend_rows = legend_layout(chart, clipped, width, legend, lx, lrow);

    /* what the whiskers are, inside the SVG: the file is read on its own too */
    g_auto(GStrv) caption = wrap_text(chart->note, (width - 2 * SVG_PAD) / SVG_CAPTION_CHAR_W);
    guint caption_rows = caption ? g_strv_length(caption) : 0;
    double caption_y = SVG_TOP + SVG_PLOT_H + SVG_XAXIS + legend_rows * SVG_LEGEND_ROW + 8;
    double height = caption_y + caption_rows * SVG_CAPTION_ROW + SVG_PAD;

    set_num(root, "width", width);
    set_num(root, "height", height);
    g_autofree char *vb = g_strdup_printf("0 0 %d %d", (int)ceil(width), (int)ceil(height));
    set_attr(root, "viewBox", vb);
    set_attr(root, "font-family", "DejaVu Sans, Helvetica, Arial, sans-serif");
    xmlNodePtr title = xmlNewTextChild(root, NULL, BAD_CAST "title", BAD_CAST chart->title);
    (void)title;
    xmlNodePtr bg = svg_el(root, "rect");
    set_attr(bg, "width", "100%");
    set_attr(bg, "height", "100%");
    set_attr(bg, "fill", "#ffffff");

    svg_text(root, SVG_PAD, SVG_PAD + 14, NULL, 16, chart->title);
    if (chart->subtitle) {
        xmlNodePtr st = svg_text(root, SVG_PAD, SVG_PAD + 32, NULL, 12, chart->subtitle);
        set_attr(st, "fill", "#b00000");
        set_attr(st, "font-weight", "bold");
    }
    xmlNodePtr defs = svg_el(root, "defs");
    xmlNodePtr yl = svg_text(root, 0, 0, "middle", 12, chart->y_label);
    g_autofree char *rot = NULL;
    {
        char bx[G_ASCII_DTOSTR_BUF_SIZE], by[G_ASCII_DTOSTR_BUF_SIZE];
        g_ascii_formatd(bx, sizeof(bx), "%.1f", SVG_PAD + 12.0);
        g_ascii_formatd(by, sizeof(by), "%.1f", SVG_TOP + SVG_PLOT_H / 2.0);
        rot = g_strdup_printf("translate(%s %s) rotate(-90)", bx, by);
    }
    set_attr(yl, "transform", rot);

    for (guint p = 0; p < chart->panels->len; p++)
        draw_panel(root, defs, chart, p, &ys);

    xmlNodePtr lg = svg_el(root, "g");
    set_attr(lg, "class", "legend");
    for (guint i = 0; i < legend->len; i++) {
        const legend_entry *e = &g_array_index(legend, legend_entry, i);
        double lxv = g_array_index(lx, double, i);
        double ly =
            SVG_TOP + SVG_PLOT_H + SVG_XAXIS + g_array_index(lrow, guint, i) * SVG_LEGEND_ROW + 6;
        xmlNodePtr l =
            svg_line(lg, lxv, ly, lxv + 28, ly, e->color, e->style == REPORT_STYLE_SOLID ? 2 : 1.5);
        const char *dash = e->style == REPORT_STYLE_DASHED ? style_dash(e->style) : e->dash;
        if (dash)
            set_attr(l, "stroke-dasharray", dash);
        if (e->style != REPORT_STYLE_DASHED)
            draw_marker(lg, lxv + 14, ly, e->marker, e->color, e->style == REPORT_STYLE_DOTTED);
        g_autofree char *text = legend_text(e, clipped);
        svg_text(lg, lxv + 34, ly + 4, NULL, 12, text);
    }

    if (caption_rows) {
        xmlNodePtr cg = svg_el(root, "g");
        set_attr(cg, "class", "caption");
        for (guint i = 0; i < caption_rows; i++) {
            xmlNodePtr t = svg_text(cg, SVG_PAD, caption_y + (i + 1) * SVG_CAPTION_ROW - 3, NULL,
                                    11, caption[i]);
            set_attr(t, "fill", "#444444");
        }
    }

    xmlChar *mem = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
    char *out = g_strndup((const char *)mem, len);
    xmlFree(mem);
    if (ret_len)
        *ret_len = (gsize)len;
    return out;
}
