package media

import (
	"fmt"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// sdesKeys protects one PBX leg with SDES-SRTP: our key encrypts what we send, the
// PBX's key decrypts what it sends (RFC 4568 6.1). The encrypting side is shared by the
// relay and DTMF goroutines, the decrypting side belongs to the reader; pion's contexts
// are not safe for concurrent use, so each has its lock.
type sdesKeys struct {
	local, remote Crypto

	encMu sync.Mutex
	enc   *srtp.Context
	decMu sync.Mutex
	dec   *srtp.Context
}

// srtpReplayWindow is the replay window for the PBX's packets (RFC 3711 3.3.2 asks for
// at least 64).
const srtpReplayWindow = 128

func newSDESKeys(local, remote Crypto) (*sdesKeys, error) {
	if local.Suite.Profile != remote.Suite.Profile {
		return nil, fmt.Errorf("%w: our %s and the PBX's %s differ", ErrBadCrypto, local.Suite.Name, remote.Suite.Name)
	}
	enc, err := srtp.CreateContext(local.masterKey(), local.masterSalt(), local.Suite.Profile)
	if err != nil {
		return nil, fmt.Errorf("SRTP context for our key: %w", err)
	}
	dec, err := srtp.CreateContext(remote.masterKey(), remote.masterSalt(), remote.Suite.Profile,
		srtp.SRTPReplayProtection(srtpReplayWindow), srtp.SRTCPReplayProtection(srtpReplayWindow))
	if err != nil {
		return nil, fmt.Errorf("SRTP context for the PBX's key: %w", err)
	}
	return &sdesKeys{local: local, remote: remote, enc: enc, dec: dec}, nil
}

// encryptRTP encrypts b into dst (reused when it has room: no allocation per packet);
// hdr is the caller's scratch header, so pion need not allocate one.
func (k *sdesKeys) encryptRTP(dst, b []byte, hdr *rtp.Header) ([]byte, error) {
	k.encMu.Lock()
	defer k.encMu.Unlock()
	return k.enc.EncryptRTP(dst, b, hdr)
}

// decryptRTP is encryptRTP's counterpart for the PBX's packets.
func (k *sdesKeys) decryptRTP(dst, b []byte, hdr *rtp.Header) ([]byte, error) {
	k.decMu.Lock()
	defer k.decMu.Unlock()
	return k.dec.DecryptRTP(dst, b, hdr)
}

func (k *sdesKeys) encryptRTCP(b []byte) ([]byte, error) {
	k.encMu.Lock()
	defer k.encMu.Unlock()
	return k.enc.EncryptRTCP(nil, b, nil)
}

func (k *sdesKeys) decryptRTCP(b []byte) ([]byte, error) {
	k.decMu.Lock()
	defer k.decMu.Unlock()
	return k.dec.DecryptRTCP(nil, b, nil)
}

// sameAs reports whether the keys are already the ones given (a re-INVITE that keeps
// its keys must not reset the streams' rollover counters).
func (k *sdesKeys) sameAs(local, remote Crypto) bool {
	return k != nil && k.local.String() == local.String() && k.remote.String() == remote.String()
}
