package phone

import (
	"fmt"
	"strings"

	"github.com/emiago/sipgo/sip"
	"github.com/nyaruka/phonenumbers"
)

// maxNumber caps a dial string; anything longer is not a phone number or SIP URI.
const maxNumber = 256

// Target turns what the user dialled into a Request-URI on the account's domain: a
// number (digits, *, #, a leading +; spaces, dots, dashes and brackets are dropped) or
// a sip:/sips: URI passed through. See normalize for the number rules.
func Target(input, domainHost string, domainPort int) (sip.Uri, string, error) {
	return TargetIn(input, "", domainHost, domainPort)
}

// TargetIn is Target with the account's default region (ISO 3166 code, e.g. "US").
func TargetIn(input, region, domainHost string, domainPort int) (sip.Uri, string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return sip.Uri{}, "", fmt.Errorf("%w: the number is empty", ErrBadNumber)
	}
	if len(s) > maxNumber {
		return sip.Uri{}, "", fmt.Errorf("%w: over %d characters", ErrBadNumber, maxNumber)
	}
	lower := strings.ToLower(s)
	if strings.HasPrefix(lower, "sip:") || strings.HasPrefix(lower, "sips:") {
		var u sip.Uri
		if err := sip.ParseUri(s, &u); err != nil || u.Host == "" {
			return sip.Uri{}, "", fmt.Errorf("%w: %q is not a valid SIP address", ErrBadNumber, s)
		}
		return u, s, nil
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9', r == '*', r == '#':
			b.WriteRune(r)
		case r == '+' && b.Len() == 0 && i == strings.IndexRune(s, '+'):
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '/':
		default:
			return sip.Uri{}, "", fmt.Errorf("%w: %q has a character that is not part of a phone number", ErrBadNumber, s)
		}
	}
	num := b.String()
	if strings.Trim(num, "+") == "" {
		return sip.Uri{}, "", fmt.Errorf("%w: %q has no digits", ErrBadNumber, s)
	}
	num, err := normalize(num, region)
	if err != nil {
		return sip.Uri{}, "", fmt.Errorf("%w: %q %v", ErrBadNumber, s, err)
	}
	// '#' is not allowed raw in a SIP URI user part (RFC 3261 25.1): escape it.
	user := strings.ReplaceAll(num, "#", "%23")
	return sip.Uri{Scheme: "sip", User: user, Host: domainHost, Port: domainPort}, num, nil
}

// minNational: shorter numbers are extensions or short codes of the PBX's dial plan and
// go out as dialled.
const minNational = 7

// normalize applies libphonenumber's rules: an international number (+…) must be a
// possible number; a national number of the account's region that is valid becomes
// E.164; anything else (extensions, feature codes with * or #, the PBX's own dial plan
// such as a 9 for an outside line) goes out as dialled.
func normalize(num, region string) (string, error) {
	if strings.ContainsAny(num, "*#") {
		return num, nil
	}
	if strings.HasPrefix(num, "+") {
		n, err := phonenumbers.Parse(num, "")
		if err != nil || !phonenumbers.IsPossibleNumber(n) {
			return "", fmt.Errorf("is not a possible international number")
		}
		return phonenumbers.Format(n, phonenumbers.E164), nil
	}
	if region == "" || len(num) < minNational {
		return num, nil
	}
	n, err := phonenumbers.Parse(num, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumberForRegion(n, strings.ToUpper(region)) {
		return num, nil
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}
