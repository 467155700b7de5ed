package g711

import (
	"math"
	"testing"
)

func TestULawKnownCodes(t *testing.T) {
	cases := []struct {
		code byte
		want int16
	}{
		{0xFF, 0},      // positive zero
		{0x7F, 0},      // negative zero
		{0x80, 32124},  // largest positive
		{0x00, -32124}, // largest negative
		{0xFE, 8},
		{0x7E, -8},
	}
	for _, c := range cases {
		if got := DecodeULaw(c.code); got != c.want {
			t.Errorf("DecodeULaw(%#02x) = %d, want %d", c.code, got, c.want)
		}
	}
	if got := EncodeULaw(0); got != 0xFF {
		t.Errorf("EncodeULaw(0) = %#02x, want 0xff", got)
	}
	if got := EncodeULaw(32767); got != 0x80 {
		t.Errorf("EncodeULaw(32767) = %#02x, want 0x80", got)
	}
	if got := EncodeULaw(-32768); got != 0x00 {
		t.Errorf("EncodeULaw(-32768) = %#02x, want 0x00", got)
	}
}

func TestALawKnownCodes(t *testing.T) {
	cases := []struct {
		code byte
		want int16
	}{
		{0xD5, 8},
		{0x55, -8},
		{0xAA, 32256}, // largest positive
		{0x2A, -32256},
	}
	for _, c := range cases {
		if got := DecodeALaw(c.code); got != c.want {
			t.Errorf("DecodeALaw(%#02x) = %d, want %d", c.code, got, c.want)
		}
	}
	if got := EncodeALaw(0); got != 0xD5 {
		t.Errorf("EncodeALaw(0) = %#02x, want 0xd5", got)
	}
	if got := EncodeALaw(32767); got != 0xAA {
		t.Errorf("EncodeALaw(32767) = %#02x, want 0xaa", got)
	}
	if got := EncodeALaw(-32768); got != 0x2A {
		t.Errorf("EncodeALaw(-32768) = %#02x, want 0x2a", got)
	}
}

// Every code must decode to a value that encodes back to the same code: the decoder
// picks a point inside each quantization interval.
func TestCodesRoundTrip(t *testing.T) {
	for c := range 256 {
		code := byte(c)
		if got := EncodeALaw(DecodeALaw(code)); got != code {
			t.Errorf("A-law %#02x → %d → %#02x", code, DecodeALaw(code), got)
		}
		u := DecodeULaw(code)
		got := EncodeULaw(u)
		// μ-law has two zeros (0x7F and 0xFF); both decode to 0, which encodes as 0xFF.
		if got != code && !(u == 0 && got == 0xFF) {
			t.Errorf("μ-law %#02x → %d → %#02x", code, u, got)
		}
	}
}

// The quantization error of G.711 is relative: within about 1/16 of the magnitude
// (plus a small absolute step near zero). Check the whole 16-bit range.
func TestSampleErrorIsBounded(t *testing.T) {
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		x := int16(s)
		for _, c := range []struct {
			name string
			enc  Encoder
			dec  Decoder
			abs  float64
		}{
			{"ulaw", EncodeULaw, DecodeULaw, 8},
			{"alaw", EncodeALaw, DecodeALaw, 16},
		} {
			got := float64(c.dec(c.enc(x)))
			want := float64(x)
			limit := math.Max(c.abs, math.Abs(want)/16+c.abs)
			if want > 32124 && c.name == "ulaw" || want < -32124 && c.name == "ulaw" {
				limit = math.Abs(want) - 32124 + limit // clipped at the top
			}
			if math.Abs(got-want) > limit {
				t.Fatalf("%s: %d decoded as %v (error %v > %v)", c.name, x, got, math.Abs(got-want), limit)
			}
		}
	}
}

// Encoding is monotonic: a larger sample never decodes to a smaller value.
func TestMonotonic(t *testing.T) {
	prevU, prevA := int16(math.MinInt16), int16(math.MinInt16)
	for s := math.MinInt16; s <= math.MaxInt16; s++ {
		u := DecodeULaw(EncodeULaw(int16(s)))
		a := DecodeALaw(EncodeALaw(int16(s)))
		if u < prevU || a < prevA {
			t.Fatalf("not monotonic at %d: ulaw %d→%d alaw %d→%d", s, prevU, u, prevA, a)
		}
		prevU, prevA = u, a
	}
}

func TestFrames(t *testing.T) {
	in := []int16{0, 1000, -1000, 20000}
	codes := EncodeFrame(nil, in, EncodeULaw)
	if len(codes) != len(in) {
		t.Fatalf("got %d codes", len(codes))
	}
	out := DecodeFrame(nil, codes, DecodeULaw)
	for i := range in {
		if d := math.Abs(float64(out[i] - in[i])); d > math.Abs(float64(in[i]))/16+8 {
			t.Errorf("sample %d: %d → %d", i, in[i], out[i])
		}
	}
}
