/*
 * iso8601.c: the ISO 8601 date-time reader (grammar in iso8601.h). A small recursive
 * descent over the text; the calendar arithmetic is done here rather than with timegm,
 * which would silently move 30 February into March and depends on time_t's width.
 */
#include "util/iso8601.h"

#include <stdbool.h>
#include <stddef.h>

struct datetime {
	int year, month, day;
	int hour, minute, second, ms;
	int offset_s; /* east of UTC */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* take_digits: exactly n digits at *p into *out. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	++*p;
	return true;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap_year(y) ? 29 : days[m - 1];
}

static bool parse_date(const char **p, struct datetime *t)
{
	if (!take_digits(p, 4, &t->year) || !take_char(p, '-') || !take_digits(p, 2, &t->month) ||
	    !take_char(p, '-') || !take_digits(p, 2, &t->day))
		return false;
	return t->month >= 1 && t->month <= 12 && t->day >= 1 &&
	       t->day <= days_in_month(t->year, t->month);
}

/* parse_fraction: digits after '.' or ','; only the first three count (milliseconds). */
static bool parse_fraction(const char **p, int *ms)
{
	int scale = 100;

	if (!is_digit(**p))
		return false;
	for (; is_digit(**p); ++*p, scale /= 10)
		*ms += (**p - '0') * scale;
	return true;
}

static bool parse_time(const char **p, struct datetime *t)
{
	if (!take_digits(p, 2, &t->hour) || !take_char(p, ':') || !take_digits(p, 2, &t->minute))
		return false;
	/* A fraction belongs to the seconds: "12:00.5" is not a time. */
	if (take_char(p, ':') &&
	    (!take_digits(p, 2, &t->second) ||
	     ((take_char(p, '.') || take_char(p, ',')) && !parse_fraction(p, &t->ms))))
		return false;
	return t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* parse_zone: Z, +HH, +HHMM or +HH:MM (or '-'). */
static bool parse_zone(const char **p, struct datetime *t)
{
	int sign;
	int hh;
	int mm = 0;

	if (take_char(p, 'Z') || take_char(p, 'z'))
		return true;
	if (**p != '+' && **p != '-')
		return false;
	sign = *(*p)++ == '-' ? -1 : 1;
	if (!take_digits(p, 2, &hh))
		return false;
	if (take_char(p, ':') ? !take_digits(p, 2, &mm) : is_digit(**p) && !take_digits(p, 2, &mm))
		return false;
	if (hh > 23 || mm > 59)
		return false;
	t->offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

/* days_from_civil: days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era;
	int64_t yoe;
	int64_t doy;
	int64_t doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

enum iso8601_result iso8601_parse(const char *text, int64_t *epoch_ms)
{
	struct datetime t = {0};
	const char *p = text;
	bool zoned = false;
	int64_t secs;

	if (text == NULL || !parse_date(&p, &t))
		return ISO8601_INVALID;
	if ((take_char(&p, 'T') || take_char(&p, 't') || take_char(&p, ' ')) && !parse_time(&p, &t))
		return ISO8601_INVALID;
	if (*p != '\0') {
		if (!parse_zone(&p, &t) || *p != '\0')
			return ISO8601_INVALID;
		zoned = true;
	}
	secs = days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
	       t.second - t.offset_s;
	*epoch_ms = secs * 1000 + t.ms;
	return zoned ? ISO8601_ZONED : ISO8601_NO_ZONE;
}
