package rtpenginetest

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// The ng protocol carries bencode: byte strings "4:spam", integers "i42e", lists
// "l…e" and dictionaries "d…e" with byte-string keys in sorted order.

// errBencode is every malformed-input error of decodeBencode.
var errBencode = errors.New("bencode")

// encodeBencode appends v's bencode to dst. It takes what ng messages hold: string,
// []byte, int, int64, []string, []any and map[string]any.
func encodeBencode(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case string:
		dst = strconv.AppendInt(dst, int64(len(x)), 10)
		dst = append(dst, ':')
		return append(dst, x...), nil
	case []byte:
		dst = strconv.AppendInt(dst, int64(len(x)), 10)
		dst = append(dst, ':')
		return append(dst, x...), nil
	case int:
		return encodeBencode(dst, int64(x))
	case int64:
		dst = append(dst, 'i')
		dst = strconv.AppendInt(dst, x, 10)
		return append(dst, 'e'), nil
	case []string:
		dst = append(dst, 'l')
		for _, s := range x {
			dst, _ = encodeBencode(dst, s)
		}
		return append(dst, 'e'), nil
	case []any:
		dst = append(dst, 'l')
		for _, e := range x {
			var err error
			if dst, err = encodeBencode(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, 'e'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, 'd')
		for _, k := range keys {
			dst, _ = encodeBencode(dst, k)
			var err error
			if dst, err = encodeBencode(dst, x[k]); err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
		}
		return append(dst, 'e'), nil
	}
	return nil, fmt.Errorf("%w: cannot encode %T", errBencode, v)
}

// decodeBencode decodes one value from the start of b into string, int64, []any or
// map[string]any, and returns the bytes after it.
func decodeBencode(b []byte) (any, []byte, error) {
	return decodeDepth(b, 0)
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

func decodeDepth(b []byte, depth int) (any, []byte, error) {
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("%w: nested deeper than %d", errBencode, maxDepth)
	}
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("%w: unexpected end", errBencode)
	}
	switch c := b[0]; {
	case c == 'i':
		end := slices.Index(b, 'e')
		if end < 0 {
			return nil, nil, fmt.Errorf("%w: unterminated integer", errBencode)
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: integer %q", errBencode, b[1:end])
		}
		return n, b[end+1:], nil
	case c >= '0' && c <= '9':
		colon := slices.Index(b, ':')
		if colon < 0 {
			return nil, nil, fmt.Errorf("%w: string without length", errBencode)
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || n < 0 || n > len(b)-colon-1 {
			return nil, nil, fmt.Errorf("%w: string length %q", errBencode, b[:colon])
		}
		rest := b[colon+1:]
		return string(rest[:n]), rest[n:], nil
	case c == 'l':
		list := []any{}
		rest := b[1:]
		for {
			if len(rest) == 0 {
				return nil, nil, fmt.Errorf("%w: unterminated list", errBencode)
			}
			if rest[0] == 'e' {
				return list, rest[1:], nil
			}
			var v any
			var err error
			if v, rest, err = decodeDepth(rest, depth+1); err != nil {
				return nil, nil, err
			}
			list = append(list, v)
		}
	case c == 'd':
		dict := map[string]any{}
		rest := b[1:]
		for {
			if len(rest) == 0 {
				return nil, nil, fmt.Errorf("%w: unterminated dictionary", errBencode)
			}
			if rest[0] == 'e' {
				return dict, rest[1:], nil
			}
			k, r, err := decodeDepth(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			key, ok := k.(string)
			if !ok {
				return nil, nil, fmt.Errorf("%w: dictionary key is %T", errBencode, k)
			}
			var v any
			if v, rest, err = decodeDepth(r, depth+1); err != nil {
				return nil, nil, err
			}
			dict[key] = v
		}
	default:
		return nil, nil, fmt.Errorf("%w: unexpected byte %q", errBencode, c)
	}
}
