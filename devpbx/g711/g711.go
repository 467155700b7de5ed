// Package g711 encodes and decodes ITU-T G.711 μ-law (PCMU) and A-law (PCMA) samples.
// devpbx uses it to generate its test tone and to measure what callers send.
package g711

import "math/bits"

// ulawBias is added to the magnitude before the segment search (G.711 μ-law, table 2a),
// so that segment 0 starts at 0 and the encoding is symmetric around zero.
const ulawBias = 0x84

// ulawClip is the largest magnitude μ-law can carry after the bias is added.
const ulawClip = 32635

// EncodeULaw returns the μ-law code for one 16-bit linear sample.
func EncodeULaw(sample int16) byte {
	x := int(sample)
	var sign byte
	if x < 0 {
		x = -x
		sign = 0x80
	}
	x = min(x, ulawClip) + ulawBias
	// The segment is the position of the highest set bit above bit 7 (0..7).
	seg := bits.Len(uint(x)) - 8
	mant := (x >> (seg + 3)) & 0x0F
	// Codes are sent inverted (RFC 3551 4.5.14 refers to G.711's bit inversion).
	return ^(sign | byte(seg<<4) | byte(mant))
}

// DecodeULaw returns the 16-bit linear sample for a μ-law code.
func DecodeULaw(code byte) int16 {
	c := ^code
	seg := int(c>>4) & 0x07
	mant := int(c & 0x0F)
	x := ((mant << 3) + ulawBias) << seg
	x -= ulawBias
	if c&0x80 != 0 {
		return int16(-x)
	}
	return int16(x)
}

// EncodeALaw returns the A-law code for one 16-bit linear sample.
func EncodeALaw(sample int16) byte {
	x := int(sample)
	// A-law toggles the even bits (0x55) and carries the sign in bit 7: set for positive.
	mask := byte(0xD5)
	if x < 0 {
		mask = 0x55
		x = -x - 1
	}
	m := x >> 3 // A-law works on 13-bit magnitudes (0..4095).
	seg := 0
	if m >= 32 {
		seg = bits.Len(uint(m)) - 5
	}
	shift := max(seg, 1)
	mant := (m >> shift) & 0x0F
	return (byte(seg<<4) | byte(mant)) ^ mask
}

// DecodeALaw returns the 16-bit linear sample for an A-law code.
func DecodeALaw(code byte) int16 {
	c := code ^ 0x55
	seg := int(c>>4) & 0x07
	mant := int(c & 0x0F)
	// Reconstruct at the middle of the quantization interval, scaled back to 16 bits.
	var x int
	if seg == 0 {
		x = (mant << 4) + 8
	} else {
		x = ((mant << 4) + 0x108) << (seg - 1)
	}
	if c&0x80 != 0 {
		return int16(x)
	}
	return int16(-x)
}

// Encoder turns linear samples into one G.711 payload.
type Encoder func(sample int16) byte

// Decoder turns one G.711 code into a linear sample.
type Decoder func(code byte) int16

// EncodeFrame appends the codes of samples to dst and returns the extended slice.
func EncodeFrame(dst []byte, samples []int16, enc Encoder) []byte {
	for _, s := range samples {
		dst = append(dst, enc(s))
	}
	return dst
}

// DecodeFrame appends the linear samples of payload to dst and returns the extended slice.
func DecodeFrame(dst []int16, payload []byte, dec Decoder) []int16 {
	for _, c := range payload {
		dst = append(dst, dec(c))
	}
	return dst
}
