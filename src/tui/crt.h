/* crt.h (private to src/tui): the terminal: ncurses setup and teardown,
 * colour schemes (one table; drawing code names elements, never colours),
 * the glyphs for UTF-8 and ASCII terminals, signals that restore the
 * terminal, keys (escape sequences, pastes, the mouse wheel) and clipped
 * text output. */
#ifndef FILMSEG_TUI_CRT_H
#define FILMSEG_TUI_CRT_H

#include <curses.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

/* What drawing code colours: an element of the screen, never a colour. */
typedef enum {
    CE_NORMAL,
    CE_TAB,
    CE_TAB_ACTIVE,
    CE_STATUS,
    CE_STATUS_KEY,
    CE_TITLE,
    CE_LABEL,
    CE_DIM,
    CE_BAR,
    CE_BAR_ALT,
    CE_AXIS,
    CE_CURVE,
    CE_CURVE_ALT,
    CE_KNEE,
    CE_CHOSEN,
    CE_HIGH,
    CE_LOW,
    CE_ERROR,
    CE_OK,
    CE_HELP,
    CE_HEAT0, /* CE_HEAT0 + level, level 0..HEAT_LEVELS-1 */
    CE_HEAT1,
    CE_HEAT2,
    CE_HEAT3,
    CE_HEAT4,
    CE_HEAT5,
    CE_COUNT
} ColorElement;

enum { HEAT_LEVELS = 6 };

typedef enum { SCHEME_256, SCHEME_8, SCHEME_MONO, SCHEME_COUNT } SchemeId;

typedef struct {
    const char *block;              /* a full bar cell */
    const char *eighths[8];         /* [i]: a cell i/8 full ([0] unused); NULL on ASCII */
    const char *shade[HEAT_LEVELS]; /* the character ramp, light to dark */
    const char *vline, *hline, *corner, *point, *point_alt, *knee, *mark, *mark_left, *mark_right,
        *ellipsis, *star;
} Glyphs;

typedef struct {
    bool utf8;   /* the locale is UTF-8: draw UTF-8, else ASCII only */
    bool colour; /* the scheme has colours */
    SchemeId scheme;
    const Glyphs *glyphs;
    bool started; /* ncurses is running */
} Crt;

extern Crt crt;
/* Set by the signal handlers (SIGINT, SIGTERM, SIGHUP, SIGQUIT): the event
 * loop quits cleanly and the program exits with 128 + this; SIGINT (Ctrl-C)
 * asks first, as q does, when there is something to lose. */
extern volatile sig_atomic_t crt_signal;
/* Set on SIGCONT (fg after Ctrl-Z): the event loop leaves the time stopped
 * out of its clock. */
extern volatile sig_atomic_t crt_resumed;

/* Starts ncurses (locale, keys, mouse, bracketed paste, colours; NO_COLOR
 * or a monochrome terminal gets SCHEME_MONO; Ctrl-Z and fg turn the paste
 * mode off and on again, as ncurses does the mouse). Returns false, with
 * the reason in why, when the terminal cannot be set up: an unknown TERM,
 * or one that cannot move the cursor (TERM=dumb). */
bool crt_init(char *why, size_t why_size);
/* Keys crt_read_key returns besides curses' own: SIGINT turned into a key
 * by the event loop (Ctrl-C itself is 3), and a bracketed paste, read whole
 * (crt_paste has its text). */
enum { KEY_INTERRUPT = KEY_MAX + 1, KEY_PASTE = KEY_MAX + 2 };
/* The next key, waiting up to wait_ms (0: none; the getch timeout is left
 * so): a key, or ERR when there is none, or when what came was an escape
 * sequence of no key filmseg knows (dropped whole: Alt+key, ESC then a key
 * within the escape delay, is one). Esc alone is 27. The mouse wheel is
 * KEY_UP and KEY_DOWN; a click is KEY_MOUSE, at crt_last_click. */
int crt_read_key(int wait_ms);
/* Where the click crt_read_key last returned as KEY_MOUSE was. */
void crt_last_click(int *y, int *x);
/* The text of the paste crt_read_key last returned as KEY_PASTE, as the
 * terminal sent it (its first 1024 bytes; lines end in CR or LF). */
const char *crt_paste(size_t *len);
/* Esc's wait for the rest of a sequence, in ms, from ESCDELAY's value: a
 * whole number 0..10000, else (unset, empty, negative, not a number) 100. */
int crt_escape_delay(const char *value);
/* Restores the terminal (the mouse and bracketed paste off); safe to call
 * twice. */
void crt_done(void);
/* The scheme for a terminal: NO_COLOR set, no colours, or few colours. */
SchemeId crt_pick_scheme(const char *no_color, bool has_colours, int colours);
const Glyphs *crt_glyphs(bool utf8);
/* The curses attribute of an element in the current scheme. */
int crt_attr(ColorElement e);
void crt_set(ColorElement e);

/* Text, clipped to maxw columns: UTF-8 when crt.utf8, otherwise each
 * non-ASCII character as one ASCII one (the first of its plain letters, as
 * tui_fold_accents spells them, else '?'). Returns the columns drawn. */
int tui_text(int y, int x, int maxw, const char *s);
/* s with its accented Latin letters spelt without accents (Misérables:
 * Miserables; Straße: Strasse; Œuvre: OEuvre), every other character as it
 * is, into out (strlen(s) + 1 bytes: never longer). */
void tui_fold_accents(const char *s, char *out);
int tui_textf(int y, int x, int maxw, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* As tui_text, but a text cut short ends in the ellipsis glyph, so that a
 * reader sees it was cut (titles in narrow columns). */
int tui_text_cut(int y, int x, int maxw, const char *s);
/* As tui_text, but a text too long shows its end after the ellipsis glyph
 * (messages whose point is at the end: "...: e again replaces them"). */
int tui_text_tail(int y, int x, int maxw, const char *s);
/* w copies of a glyph. */
void tui_fill(int y, int x, int w, const char *glyph);
/* Columns s takes (UTF-8 when utf8, else one per character). */
int text_columns(const char *s, bool utf8);
/* Bytes of s that fit in maxw columns; *cols gets their width. */
size_t text_clip(const char *s, int maxw, bool utf8, int *cols);
/* The bytes of the UTF-8 character a lead byte begins (1..4; 0 for a byte
 * no character begins with: a continuation byte or 0xf8 and up). */
size_t utf8_sequence_length(unsigned char lead);

#endif
