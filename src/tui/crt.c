/* crt.c: terminal setup and teardown, colour schemes, glyphs, signals, keys
 * (escape sequences, pastes, the mouse) and clipped text; see crt.h. */
#include "crt.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

Crt crt = {false, false, SCHEME_MONO, NULL, false};
volatile sig_atomic_t crt_signal = 0;
volatile sig_atomic_t crt_resumed = 0;

/* ---- colour schemes: one row per scheme, one entry per element ---- */

typedef struct {
    short fg, bg; /* -1: the terminal's default */
    int attr;     /* A_BOLD, A_REVERSE, ... */
} ColorSpec;

#define D (-1)
static const ColorSpec SCHEMES[SCHEME_COUNT][CE_COUNT] =
    {
        [SCHEME_256] =
            {
                [CE_NORMAL] = {D, D, 0},
                [CE_TAB] = {252, 236, 0},
                [CE_TAB_ACTIVE] = {16, 44, A_BOLD},
                [CE_STATUS] = {16, 44, 0},
                [CE_STATUS_KEY] = {16, 44, A_BOLD},
                [CE_TITLE] = {44, D, A_BOLD},
                [CE_LABEL] = {250, D, 0},
                [CE_DIM] = {244, D, 0},
                [CE_BAR] = {37, D, 0},
                [CE_BAR_ALT] = {175, D, 0},
                [CE_AXIS] = {244, D, 0},
                [CE_CURVE] = {45, D, A_BOLD},
                [CE_CURVE_ALT] = {214, D, A_BOLD},
                [CE_KNEE] = {214, D, A_BOLD},
                [CE_CHOSEN] = {16, 214, A_BOLD},
                [CE_HIGH] = {42, D, A_BOLD},
                [CE_LOW] = {174, D, 0},
                [CE_ERROR] = {231, 124, A_BOLD},
                [CE_OK] = {42, D, A_BOLD},
                [CE_HELP] = {231, 238, 0},
                [CE_HEAT0] = {250, 235, 0},
                [CE_HEAT1] = {231, 24, 0},
                [CE_HEAT2] = {231, 31, 0},
                [CE_HEAT3] = {16, 37, 0},
                [CE_HEAT4] = {16, 114, 0},
                [CE_HEAT5] = {16, 220, A_BOLD},
            },
        [SCHEME_8] =
            {
                [CE_NORMAL] = {D, D, 0},
                [CE_TAB] = {COLOR_WHITE, COLOR_BLUE, 0},
                [CE_TAB_ACTIVE] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
                [CE_STATUS] = {COLOR_BLACK, COLOR_CYAN, 0},
                [CE_STATUS_KEY] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
                [CE_TITLE] = {COLOR_CYAN, D, A_BOLD},
                [CE_LABEL] = {D, D, 0},
                [CE_DIM] = {D, D, A_DIM},
                [CE_BAR] = {COLOR_CYAN, D, 0},
                [CE_BAR_ALT] = {COLOR_MAGENTA, D, 0},
                [CE_AXIS] = {D, D, A_DIM},
                [CE_CURVE] = {COLOR_CYAN, D, A_BOLD},
                [CE_CURVE_ALT] = {COLOR_YELLOW, D, A_BOLD},
                [CE_KNEE] = {COLOR_YELLOW, D, A_BOLD},
                [CE_CHOSEN] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
                [CE_HIGH] = {COLOR_GREEN, D, A_BOLD},
                [CE_LOW] = {COLOR_RED, D, 0},
                [CE_ERROR] = {COLOR_WHITE, COLOR_RED, A_BOLD},
                [CE_OK] = {COLOR_GREEN, D, A_BOLD},
                [CE_HELP] = {COLOR_WHITE, COLOR_BLUE, 0},
                [CE_HEAT0] = {D, D, 0},
                [CE_HEAT1] = {COLOR_WHITE, COLOR_BLUE, 0},
                [CE_HEAT2] = {COLOR_BLACK, COLOR_CYAN, 0},
                [CE_HEAT3] = {COLOR_BLACK, COLOR_GREEN, 0},
                [CE_HEAT4] = {COLOR_BLACK, COLOR_YELLOW, 0},
                [CE_HEAT5] = {COLOR_WHITE, COLOR_RED, A_BOLD},
            },
        [SCHEME_MONO] =
            {
                [CE_NORMAL] = {D, D, 0},
                [CE_TAB] = {D, D, 0},
                [CE_TAB_ACTIVE] = {D, D, A_REVERSE | A_BOLD},
                [CE_STATUS] = {D, D, A_REVERSE},
                [CE_STATUS_KEY] = {D, D, A_REVERSE | A_BOLD},
                [CE_TITLE] = {D, D, A_BOLD},
                [CE_LABEL] = {D, D, 0},
                [CE_DIM] = {D, D, A_DIM},
                [CE_BAR] = {D, D, 0},
                [CE_BAR_ALT] = {D, D, 0},
                [CE_AXIS] = {D, D, 0},
                [CE_CURVE] = {D, D, A_BOLD},
                [CE_CURVE_ALT] = {D, D, 0},
                [CE_KNEE] = {D, D, A_BOLD},
                [CE_CHOSEN] = {D, D, A_REVERSE},
                [CE_HIGH] = {D, D, A_BOLD},
                [CE_LOW] = {D, D, 0},
                [CE_ERROR] = {D, D, A_REVERSE | A_BOLD},
                [CE_OK] = {D, D, A_BOLD},
                [CE_HELP] = {D, D, 0},
                [CE_HEAT0] = {D, D, 0},
                [CE_HEAT1] = {D, D, 0},
                [CE_HEAT2] = {D, D, 0},
                [CE_HEAT3] = {D, D, 0},
                [CE_HEAT4] = {D, D, A_BOLD},
                [CE_HEAT5] = {D, D, A_BOLD},
            },
};
#undef D

static const Glyphs GLYPHS_UTF8 = {
    .block = "\u2588",
    .eighths = {NULL, "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"},
    .shade = {" ", "\u00b7", "\u2591", "\u2592", "\u2593", "\u2588"},
    .vline = "\u2502",
    .hline = "\u2500",
    .corner = "\u2514",
    .point = "\u25cf",
    .point_alt = "\u25cb",
    .knee = "\u25c6",
    .mark = "\u25b2",
    .mark_left = "\u25c0",
    .mark_right = "\u25b6",
    .ellipsis = "\u2026",
    .star = "\u2605",
};

static const Glyphs GLYPHS_ASCII = {
    .block = "#",
    .eighths = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL},
    .shade = {" ", ".", ":", "+", "#", "@"},
    .vline = "|",
    .hline = "-",
    .corner = "+",
    .point = "*",
    .point_alt = "o",
    .knee = "K",
    .mark = "^",
    .mark_left = "<",
    .mark_right = ">",
    .ellipsis = "~",
    .star = "*",
};

const Glyphs *crt_glyphs(bool utf8)
{
    return utf8 ? &GLYPHS_UTF8 : &GLYPHS_ASCII;
}

SchemeId crt_pick_scheme(const char *no_color, bool has_colours, int colours)
{
    if ((no_color && *no_color) || !has_colours || colours < 8)
        return SCHEME_MONO;
    return colours >= 256 ? SCHEME_256 : SCHEME_8;
}

int crt_attr(ColorElement e)
{
    if (e < 0 || e >= CE_COUNT)
        e = CE_NORMAL;
    const ColorSpec *spec = &SCHEMES[crt.scheme][e];
    int attr = spec->attr;
    if (crt.colour)
        attr |= (int)COLOR_PAIR(e + 1);
    return attr;
}

void crt_set(ColorElement e)
{
    attrset(crt_attr(e));
}

static void on_signal(int sig)
{
    crt_signal = sig;
}

static void on_resume(int sig)
{
    (void)sig;
    crt_resumed = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL); /* Ctrl-\: the terminal restored too */
    sa.sa_handler = on_resume;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCONT, &sa, NULL);
}

/* Ctrl-S and Ctrl-Q are keys, not flow control: Ctrl-S froze the screen (a
 * slip for s, and over SSH a frozen screen looks like a dead link). Ctrl-C
 * is a key too, read in turn with the others (as a signal it flushed the
 * keys typed ahead of it, and two in one burst made one). Saved as the
 * program's mode, so that it holds again after Ctrl-Z and fg. */
static void keys_not_signals(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) != 0)
        return;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
    t.c_cc[VINTR] = _POSIX_VDISABLE;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
        def_prog_mode();
}

/* The sequences terminals send for the same keys in the other cursor mode,
 * or as PuTTY, rxvt and the Linux console do, whatever TERM says: without
 * them an arrow's ESC [ C read as Esc, then `[` (previous segment), then C. */
static void define_other_keys(void)
{
    static const struct {
        const char *sequence;
        int key;
    } OTHER_KEYS[] = {
        {"\033[A", KEY_UP},    {"\033[B", KEY_DOWN},    {"\033[C", KEY_RIGHT},
        {"\033[D", KEY_LEFT},  {"\033OA", KEY_UP},      {"\033OB", KEY_DOWN},
        {"\033OC", KEY_RIGHT}, {"\033OD", KEY_LEFT},    {"\033[H", KEY_HOME},
        {"\033[F", KEY_END},   {"\033OH", KEY_HOME},    {"\033OF", KEY_END},
        {"\033[1~", KEY_HOME}, {"\033[4~", KEY_END},    {"\033[7~", KEY_HOME},
        {"\033[8~", KEY_END},  {"\033[5~", KEY_PPAGE},  {"\033[6~", KEY_NPAGE},
        {"\033[Z", KEY_BTAB},  {"\033OP", KEY_F(1)},    {"\033[11~", KEY_F(1)},
        {"\033[[A", KEY_F(1)}, {"\033[21~", KEY_F(10)},
    };
    for (size_t i = 0; i < sizeof OTHER_KEYS / sizeof OTHER_KEYS[0]; i++)
        if (key_defined(OTHER_KEYS[i].sequence) == 0) /* not bound to another key */
            define_key(OTHER_KEYS[i].sequence, OTHER_KEYS[i].key);
}

/* Whether the terminal is gone (its window closed, the SSH link dropped)
 * without a SIGHUP, as for a program in a session of its own: reads then
 * return at once, and the loop would spin. */
static bool terminal_gone(void)
{
    struct pollfd in = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&in, 1, 0) == 1 && (in.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* The wheel's notches as the Up and Down keys, as xterm's alternate scroll
 * does without mouse tracking: the explorer turns tracking on for clicks,
 * and the terminal then scrolls nothing itself. A report's button code,
 * its modifier bits (Shift 4, Meta 8, Ctrl 16) aside: 64 up, 65 down; any
 * other report is no key. */
static int wheel_key(int button)
{
    switch (button & ~(4 | 8 | 16)) {
    case 64: return KEY_UP;
    case 65: return KEY_DOWN;
    default: return ERR;
    }
}

static MEVENT last_click; /* the last click, for crt_last_click */

/* What KEY_MOUSE from ncurses was: the wheel as a key, a click (kept), or
 * nothing. */
static int mouse_key(void)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return ERR;
    if (ev.bstate & BUTTON4_PRESSED)
        return KEY_UP;
    if (ev.bstate & BUTTON5_PRESSED)
        return KEY_DOWN;
    last_click = ev;
    return KEY_MOUSE;
}

void crt_last_click(int *y, int *x)
{
    *y = last_click.y;
    *x = last_click.x;
}

/* The text of the last paste: its first PASTE_KEPT bytes (the rest is read
 * and dropped), as the terminal sent them. */
enum { PASTE_KEPT = 1024, PASTE_WAIT_MS = 1000 };
static char paste_text[PASTE_KEPT];
static size_t paste_len;

const char *crt_paste(size_t *len)
{
    *len = paste_len;
    return paste_text;
}

/* Reads a bracketed paste up to its end mark, ESC [ 2 0 1 ~, with the
 * keypad off: an escape sequence in the text is text, not a key. Bytes
 * that stop coming for PASTE_WAIT_MS (an end mark lost) end it too. */
static void read_paste(void)
{
    static const char END[] = "\033[201~";
    size_t matched = 0; /* END's bytes seen so far */
    paste_len = 0;
    keypad(stdscr, FALSE);
    timeout(PASTE_WAIT_MS);
    for (int c; (c = getch()) != ERR;) {
        if (c > 0xff) /* KEY_RESIZE: the next frame is drawn at the new size anyway */
            continue;
        if (c == END[matched]) {
            if (++matched == sizeof END - 1)
                break;
            continue;
        }
        /* not the end mark after all: what looked like its start is text */
        for (size_t i = 0; i < matched && paste_len < PASTE_KEPT; i++)
            paste_text[paste_len++] = END[i];
        matched = c == END[0];
        if (!matched && paste_len < PASTE_KEPT)
            paste_text[paste_len++] = (char)c;
    }
    keypad(stdscr, TRUE);
}

/* After ESC [: a CSI sequence (parameters, then a final byte) or an X10
 * mouse report, read whole. A paste's start (200~) reads the paste; the
 * wheel in a mouse report is a key; anything else is no key. */
static int read_csi(void)
{
    int c = getch();
    if (c == 'M') { /* X10 mouse: button, column and row follow, each + 32 */
        int button = getch();
        getch();
        getch();
        return button == ERR ? ERR : wheel_key(button - 32);
    }
    char params[32];
    size_t n = 0;
    while (c != ERR && !(c >= 0x40 && c <= 0x7e) && n + 1 < sizeof params) {
        params[n++] = (char)c;
        c = getch();
    }
    params[n] = '\0';
    if (c == '~' && strcmp(params, "200") == 0) {
        read_paste();
        return KEY_PASTE;
    }
    if (c == 'M' && params[0] == '<') /* SGR mouse: <button;column;row, M pressed */
        return wheel_key(atoi(params + 1));
    return ERR;
}

int crt_read_key(int wait_ms)
{
    timeout(wait_ms);
    int ch = getch();
    if (ch == ERR && terminal_gone()) {
        crt_signal = SIGHUP; /* ended as a hang-up ends it */
        return ERR;
    }
    if (ch == KEY_MOUSE)
        return mouse_key();
    if (ch != 27)
        return ch;
    /* an escape sequence ncurses does not know (another terminal's key, an
     * old-style mouse report) is dropped whole, not read as keys; what
     * follows ESC is already here (ncurses waited the escape delay for it) */
    timeout(0);
    int key = ERR, next = getch();
    if (next == ERR) {
        key = 27;                    /* Esc itself */
    } else if (next == KEY_RESIZE) { /* not typed: Esc, then the resize */
        ungetch(next);
        key = 27;
    } else if (next == '[') {
        key = read_csi();
    } else if (next == 'O') { /* SS3: one byte follows */
        getch();
    } else {
        /* Alt+key (Meta sends ESC first): no key of filmseg's, and not Esc
         * then the key (M-q quit, M-2 switched pane); a UTF-8 character
         * goes whole */
        size_t len = next >= 0xc0 && next <= 0xff ? utf8_sequence_length((unsigned char)next) : 1;
        for (size_t i = 1; i < len; i++)
            getch();
    }
    timeout(wait_ms);
    return key;
}

int crt_escape_delay(const char *value)
{
    enum { DEFAULT_MS = 100, MAX_MS = 10000 };
    if (!value || *value < '0' || *value > '9')
        return DEFAULT_MS;
    char *end;
    long ms = strtol(value, &end, 10);
    return *end == '\0' && ms <= MAX_MS ? (int)ms : DEFAULT_MS;
}

/* Bracketed paste (xterm's mode 2004): the terminal marks a paste, so that
 * its text is not read as keys (the s of a pasted "star" saved over the
 * model). A terminal without it ignores the mode. Written at once, by
 * write(2): on_stop calls it from a signal handler. */
static void paste_mode(bool on)
{
    static const char ON[] = "\033[?2004h", OFF[] = "\033[?2004l";
    ssize_t ignored = write(STDOUT_FILENO, on ? ON : OFF, sizeof ON - 1);
    (void)ignored;
}

/* ncurses' SIGTSTP handler (Ctrl-Z): endwin, which turns the mouse off,
 * the stop, and on fg the redraw, which turns it on again. */
static struct sigaction curses_on_stop;
static bool stop_wrapped; /* on_stop is SIGTSTP's handler */

/* Ctrl-Z: the shell gets the terminal back without bracketed paste (a
 * paste at its prompt would carry the marks), and filmseg has it again on
 * fg, around ncurses' handler. */
static void on_stop(int sig)
{
    paste_mode(false);
    curses_on_stop.sa_handler(sig);
    paste_mode(true);
}

static void wrap_stop_handler(void)
{
    sigaction(SIGTSTP, NULL, &curses_on_stop);
    if ((curses_on_stop.sa_flags & SA_SIGINFO) || curses_on_stop.sa_handler == SIG_DFL ||
        curses_on_stop.sa_handler == SIG_IGN)
        return; /* no handler of ncurses': the process stops (or not) as it would anyway */
    struct sigaction sa = curses_on_stop;
    sa.sa_handler = on_stop;
    stop_wrapped = sigaction(SIGTSTP, &sa, NULL) == 0;
}

bool crt_init(char *why, size_t why_size)
{
    /* the terminal's character set, and nothing else: numbers stay C's (a
     * de_DE locale wrote "3,5357" into e's CSV tables and read the retrain
     * form's "0.6" as 0) */
    setlocale(LC_ALL, "");
    setlocale(LC_NUMERIC, "C");
    const char *codeset = nl_langinfo(CODESET);
    crt.utf8 = codeset && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
    crt.glyphs = crt_glyphs(crt.utf8);
    /* newterm, not initscr: an unknown TERM is an error to report, not an
     * exit inside the library */
    const char *term = getenv("TERM");
    SCREEN *screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        if (!term || !*term)
            snprintf(why, why_size, "TERM is not set, so the terminal's type is unknown");
        else
            snprintf(why, why_size,
                     "the terminal type '%s' is unknown here (its terminfo entry is not "
                     "installed: TERM=xterm-256color works in most terminals)",
                     term);
        return false;
    }
    const char *cup = tigetstr("cup");
    if (!cup || cup == (const char *)-1) { /* TERM=dumb and the like */
        endwin();
        delscreen(screen);
        snprintf(why, why_size, "the terminal type '%s' cannot move the cursor", term ? term : "");
        return false;
    }
    /* ESC must not wait a second for a sequence that never comes, nor so
     * little that an arrow's bytes split by a slow link read as keys; set
     * after newterm, which took an empty or bad ESCDELAY for a second */
    set_escdelay(crt_escape_delay(getenv("ESCDELAY")));
    crt.started = true;
    install_signals();
    wrap_stop_handler();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    define_other_keys();
    curs_set(0);
    keys_not_signals();
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    paste_mode(true);
    /* colours are started only when they are used: NO_COLOR means none at all */
    int n_colours = tigetnum("colors");
    crt.scheme = crt_pick_scheme(getenv("NO_COLOR"), has_colors(), n_colours > 0 ? n_colours : 0);
    crt.colour = crt.scheme != SCHEME_MONO;
    if (crt.colour) {
        start_color();
        if (COLORS < 256 && crt.scheme == SCHEME_256)
            crt.scheme = SCHEME_8;
        use_default_colors();
        for (int e = 0; e < CE_COUNT; e++) {
            const ColorSpec *s = &SCHEMES[crt.scheme][e];
            init_pair((short)(e + 1), s->fg, s->bg);
        }
    }
    return true;
}

void crt_done(void)
{
    if (!crt.started)
        return;
    crt.started = false;
    attrset(A_NORMAL);
    const char *smcup = tigetstr("smcup");
    if (!smcup || smcup == (const char *)-1) { /* no alternate screen (vt100): the */
        erase();                               /* shell starts on a clear one, not */
        refresh();                             /* over the last frame's status line */
    }
    curs_set(1);
    mousemask(0, NULL);
    paste_mode(false);
    if (stop_wrapped) /* Ctrl-Z from now on: ncurses' alone */
        sigaction(SIGTSTP, &curses_on_stop, NULL);
    stop_wrapped = false;
    endwin();
    fflush(stdout);
}

/* ---- text ---- */

/* Decodes one UTF-8 character: its length (1 for a bad byte) and code point
 * (U+FFFD for a bad sequence). */
size_t utf8_sequence_length(unsigned char lead)
{
    return lead < 0x80         ? 1
           : (lead >> 5) == 6  ? 2
           : (lead >> 4) == 14 ? 3
           : (lead >> 3) == 30 ? 4
                               : 0;
}

static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len = utf8_sequence_length(s[0]);
    if (len == 0) {
        *cp = 0xfffd;
        return 1;
    }
    uint32_t v = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

static int char_width(uint32_t cp, bool utf8)
{
    if (!utf8)
        return 1;
    if (cp < 0x20 || cp == 0x7f)
        return 1; /* drawn as '?' */
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 1 : w;
}

size_t text_clip(const char *s, int maxw, bool utf8, int *cols)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int used = 0;
    while (p[i]) {
        uint32_t cp;
        size_t len = utf8_next(p + i, &cp);
        int w = char_width(cp, utf8);
        if (used + w > maxw)
            break;
        used += w;
        i += len;
    }
    if (cols)
        *cols = used;
    return i;
}

int text_columns(const char *s, bool utf8)
{
    int cols;
    text_clip(s, 1 << 30, utf8, &cols);
    return cols;
}

/* The plain letters of an accented Latin letter (Latin-1 and Latin
 * Extended-A: "e" for é, "S" for Š, "ss" for ß, "OE" for Œ) into out;
 * returns how many (0 for any other character). */
static int plain_letters(uint32_t cp, char out[2])
{
    static const char LATIN1[] = "AAAAAA?CEEEEIIIIDNOOOOOxOUUUUYT?"  /* U+00C0..U+00DF */
                                 "aaaaaa?ceeeeiiiidnooooo/ouuuuyty"; /* U+00E0..U+00FF */
    static const char EXTENDED_A[] =                                 /* U+0100..U+017F */
        "AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi??JjKkkLlLlLlLlLlNnNnNnnNnOoOoOo??"
        "RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";
    static const struct {
        uint32_t cp;
        char letters[3];
    } TWO[] = {{0xc6, "AE"},  {0xdf, "ss"},  {0xe6, "ae"}, {0x132, "IJ"},
               {0x133, "ij"}, {0x152, "OE"}, {0x153, "oe"}};
    for (size_t i = 0; i < sizeof TWO / sizeof TWO[0]; i++)
        if (TWO[i].cp == cp) {
            memcpy(out, TWO[i].letters, 2);
            return 2;
        }
    char c = cp >= 0xc0 && cp <= 0xff     ? LATIN1[cp - 0xc0]
             : cp >= 0x100 && cp <= 0x17f ? EXTENDED_A[cp - 0x100]
                                          : '\0';
    out[0] = c;
    return c != '\0';
}

/* What an ASCII terminal shows for a character it cannot draw: the first
 * plain letter of an accented Latin one (Les Miserables, not Les
 * Mis?rables), a dash or quote for typographic ones, else '?'. */
static char ascii_fallback(uint32_t cp)
{
    char letters[2];
    if (plain_letters(cp, letters))
        return letters[0];
    if (cp == 0x2013 || cp == 0x2014)
        return '-';
    if (cp == 0x2018 || cp == 0x2019)
        return '\'';
    if (cp == 0x201c || cp == 0x201d)
        return '"';
    return '?';
}

void tui_fold_accents(const char *s, char *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; p[i];) {
        uint32_t cp;
        size_t len = utf8_next(p + i, &cp);
        char letters[2];
        int plain = cp >= 0x80 ? plain_letters(cp, letters) : 0;
        if (plain) { /* never longer: such a letter takes 2 bytes in UTF-8 */
            memcpy(out + n, letters, (size_t)plain);
            n += (size_t)plain;
        } else {
            memcpy(out + n, p + i, len);
            n += len;
        }
        i += len;
    }
    out[n] = '\0';
}

int tui_text(int y, int x, int maxw, const char *s)
{
    if (maxw <= 0 || y < 0 || x < 0 || y >= LINES || x >= COLS)
        return 0;
    if (x + maxw > COLS)
        maxw = COLS - x;
    int cols;
    size_t bytes = text_clip(s, maxw, crt.utf8, &cols);
    move(y, x);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < bytes) {
        uint32_t cp;
        size_t len = utf8_next(p + i, &cp);
        if (cp < 0x20 || cp == 0x7f || cp == 0xfffd)
            addch('?');
        else if (!crt.utf8 && cp >= 0x80)
            addch((chtype)ascii_fallback(cp));
        else if (cp < 0x80)
            addch((chtype)cp);
        else
            addnstr((const char *)p + i, (int)len);
        i += len;
    }
    return cols;
}

int tui_textf(int y, int x, int maxw, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return tui_text(y, x, maxw, buf);
}

int tui_text_cut(int y, int x, int maxw, const char *s)
{
    if (maxw < 2 || text_columns(s, crt.utf8) <= maxw)
        return tui_text(y, x, maxw, s);
    int cols = tui_text(y, x, maxw - 1, s);
    return cols + tui_text(y, x + cols, 1, crt.glyphs->ellipsis);
}

int tui_text_tail(int y, int x, int maxw, const char *s)
{
    if (maxw < 2 || text_columns(s, crt.utf8) <= maxw)
        return tui_text(y, x, maxw, s);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i] && text_columns(s + i, crt.utf8) > maxw - 1) {
        uint32_t cp;
        i += utf8_next(p + i, &cp);
    }
    int cols = tui_text(y, x, 1, crt.glyphs->ellipsis);
    return cols + tui_text(y, x + cols, maxw - cols, s + i);
}

void tui_fill(int y, int x, int w, const char *glyph)
{
    if (y < 0 || y >= LINES)
        return;
    for (int i = 0; i < w && x + i < COLS; i++)
        if (x + i >= 0)
            mvaddstr(y, x + i, glyph);
}
