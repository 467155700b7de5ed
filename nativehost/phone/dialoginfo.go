package phone

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// The dialog event package's body (RFC 4235 4: application/dialog-info+xml), read
// strictly: it comes from outside, so its size, its dialog count and every string in it
// are capped, and anything but the documented shape is an error.

const (
	dialogInfoNS      = "urn:ietf:params:xml:ns:dialog-info"
	dialogInfoType    = "application/dialog-info+xml"
	maxDialogInfoBody = 64 << 10 // a busy extension's few dialogs take a few KB
	maxDialogs        = 64       // dialogs in one document
	maxDialogText     = 256      // an id, tag, URI or display name
)

// errDialogInfo is wrapped by every error of parseDialogInfo.
var errDialogInfo = errors.New("dialog-info not understood")

// dialogInfo is one dialog-info document.
type dialogInfo struct {
	Version uint64
	Full    bool // state="full": the whole set of dialogs; else a partial update
	Entity  string
	Dialogs []dialogEntry
}

// dialogEntry is one <dialog> of the watched extension.
type dialogEntry struct {
	ID        string
	CallID    string
	LocalTag  string
	RemoteTag string
	Direction string // initiator (the extension called) or recipient (it is being called); may be empty
	State     string // trying, proceeding, early, confirmed, terminated (RFC 4235 3.7.1)
	Remote    party  // the other side of the extension's call, if told
}

// party is an identity with its display name.
type party struct {
	URI     string
	Display string
}

type dialogInfoXML struct {
	XMLName xml.Name    `xml:"dialog-info"`
	Version string      `xml:"version,attr"`
	State   string      `xml:"state,attr"`
	Entity  string      `xml:"entity,attr"`
	Dialogs []dialogXML `xml:"dialog"`
}

type dialogXML struct {
	ID        string         `xml:"id,attr"`
	CallID    string         `xml:"call-id,attr"`
	LocalTag  string         `xml:"local-tag,attr"`
	RemoteTag string         `xml:"remote-tag,attr"`
	Direction string         `xml:"direction,attr"`
	State     []string       `xml:"state"`
	Remote    participantXML `xml:"remote"`
}

type participantXML struct {
	Identity struct {
		Display string `xml:"display,attr"`
		URI     string `xml:",chardata"`
	} `xml:"identity"`
	Target struct {
		URI string `xml:"uri,attr"`
	} `xml:"target"`
}

// parseDialogInfo reads a dialog-info document (RFC 4235 4.1).
func parseDialogInfo(body []byte) (dialogInfo, error) {
	var out dialogInfo
	if len(body) > maxDialogInfoBody {
		return out, fmt.Errorf("%w: %d bytes is over %d", errDialogInfo, len(body), maxDialogInfoBody)
	}
	if bytes.Contains(body, []byte("<!")) {
		// No DOCTYPE, entity declarations or CDATA: the package uses none, and a DTD is
		// the door to entity tricks.
		return out, fmt.Errorf("%w: declarations or CDATA are not allowed", errDialogInfo)
	}
	var doc dialogInfoXML
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		return out, fmt.Errorf("%w: %v", errDialogInfo, err)
	}
	if doc.XMLName.Space != dialogInfoNS {
		return out, fmt.Errorf("%w: root is not in %s", errDialogInfo, dialogInfoNS)
	}
	// Nothing but white space and comments may follow the root element.
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return out, fmt.Errorf("%w: text after the document", errDialogInfo)
			}
		default:
			return out, fmt.Errorf("%w: more after the document", errDialogInfo)
		}
	}
	v, err := strconv.ParseUint(strings.TrimSpace(doc.Version), 10, 32)
	if err != nil {
		return out, fmt.Errorf("%w: version %q is not a number", errDialogInfo, clip(doc.Version))
	}
	out.Version = v
	switch doc.State {
	case "full":
		out.Full = true
	case "partial":
	default:
		return out, fmt.Errorf("%w: state %q is not full or partial", errDialogInfo, clip(doc.State))
	}
	if len(doc.Dialogs) > maxDialogs {
		return out, fmt.Errorf("%w: %d dialogs, at most %d", errDialogInfo, len(doc.Dialogs), maxDialogs)
	}
	if out.Entity, err = text("entity", doc.Entity); err != nil {
		return out, err
	}
	for _, d := range doc.Dialogs {
		var e dialogEntry
		for _, f := range []struct {
			name string
			in   string
			out  *string
		}{{"id", d.ID, &e.ID}, {"call-id", d.CallID, &e.CallID}, {"local-tag", d.LocalTag, &e.LocalTag},
			{"remote-tag", d.RemoteTag, &e.RemoteTag}, {"identity", d.Remote.Identity.URI, &e.Remote.URI},
			{"display", d.Remote.Identity.Display, &e.Remote.Display}} {
			if *f.out, err = text(f.name, f.in); err != nil {
				return out, err
			}
		}
		if e.ID == "" {
			return out, fmt.Errorf("%w: a dialog without an id", errDialogInfo)
		}
		if e.Remote.URI == "" && d.Remote.Target.URI != "" {
			if e.Remote.URI, err = text("target", d.Remote.Target.URI); err != nil {
				return out, err
			}
		}
		switch d.Direction {
		case "", "initiator", "recipient":
			e.Direction = d.Direction
		default:
			return out, fmt.Errorf("%w: direction %q", errDialogInfo, clip(d.Direction))
		}
		if len(d.State) != 1 {
			return out, fmt.Errorf("%w: dialog %q has %d states, want one", errDialogInfo, e.ID, len(d.State))
		}
		switch st := strings.TrimSpace(d.State[0]); st {
		case "trying", "proceeding", "early", "confirmed", "terminated":
			e.State = st
		default:
			return out, fmt.Errorf("%w: dialog state %q", errDialogInfo, clip(st))
		}
		out.Dialogs = append(out.Dialogs, e)
	}
	return out, nil
}

// text trims a value and refuses one that is too long or holds control characters.
func text(name, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxDialogText {
		return "", fmt.Errorf("%w: %s is over %d bytes", errDialogInfo, name, maxDialogText)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: %s holds a control character", errDialogInfo, name)
	}
	return s, nil
}

// clip shortens a bad value for an error message.
func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
