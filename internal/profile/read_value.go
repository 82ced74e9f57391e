package profile

import (
	"strconv"
	"strings"
)

// cellValue types a trimmed, non-empty CSV cell: true/false (any case) are
// bool; integer literals that fit int64 are int64; decimal literals in JSON
// number syntax (no leading zeros, no '+', no NaN/Inf) are float64;
// everything else, including integers too large for int64, stays a string.
func cellValue(s string) any {
	switch s[0] {
	case 't', 'T', 'f', 'F':
		if b, ok := parseBool(s); ok {
			return b
		}
		return s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if v, ok := numberValue(s); ok {
			return v
		}
		return s
	default:
		return s
	}
}

// parseBool accepts "true" and "false" in any letter case.
func parseBool(s string) (value, ok bool) {
	switch len(s) {
	case 4:
		return true, strings.EqualFold(s, "true")
	case 5:
		return false, strings.EqualFold(s, "false")
	default:
		return false, false
	}
}

// numberValue converts s when it is a number literal: int64 for an integer
// literal that fits, float64 for a finite decimal literal. ok is false when
// s is not a number literal, or is an integer literal too large for int64,
// or a decimal too large for float64.
func numberValue(s string) (v any, ok bool) {
	n, isInt := scanNumber(s)
	if n == 0 || n != len(s) {
		return nil, false
	}
	if isInt {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, false
		}
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, false
	}
	return f, true
}

// scanNumber reads the longest JSON number literal at the start of s,
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and returns its length (0
// when s does not start with one) and whether it is an integer literal (no
// fraction, no exponent).
func scanNumber(s string) (n int, isInt bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = skipDigits(s, i+1)
	default:
		return 0, false
	}
	isInt = true
	if i < len(s) && s[i] == '.' {
		j := skipDigits(s, i+1)
		if j == i+1 {
			return i, true // "1." : the literal is "1"
		}
		i, isInt = j, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := skipDigits(s, j)
		if k == j {
			return i, isInt // "1e" : the literal ends before the 'e'
		}
		i, isInt = k, false
	}
	return i, isInt
}

// skipDigits returns the index of the first non-digit in s at or after i.
func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
