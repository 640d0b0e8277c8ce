package tally

import (
	"math/bits"
	"math/rand/v2"
)

// addrSet is a set of IPv4 addresses (as uint32): an open-addressing table
// (linear probing) of uint32 slots holding address+1, 0 meaning empty, so
// that a sender's spray of botnet addresses costs 4 bytes an address and
// an insertion one probe; 255.255.255.255, which would wrap to 0, is kept
// apart. The hash is seeded per set, so that addresses chosen by senders
// cannot be made to collide. The zero value is an empty set.
type addrSet struct {
	slots  []uint32 // len a power of two, or 0
	n      int      // addresses in slots
	seed   uint32
	shift  uint // 32 - log2(len(slots))
	hasMax bool // holds 255.255.255.255
}

// addrSetMinSlots is the size of a set's smallest table.
const addrSetMinSlots = 16

// add adds a.
func (s *addrSet) add(a uint32) {
	v := a + 1
	if v == 0 {
		s.hasMax = true
		return
	}
	if 4*(s.n+1) > 3*len(s.slots) { // at most 3/4 full
		s.rehash(max(2*len(s.slots), addrSetMinSlots))
	}
	mask := uint32(len(s.slots) - 1)
	for i := s.hash(v); ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = v
			s.n++
			return
		case v:
			return
		}
	}
}

// len is the number of addresses.
func (s *addrSet) len() int {
	if s.hasMax {
		return s.n + 1
	}
	return s.n
}

// each calls fn with every address, in no particular order.
func (s *addrSet) each(fn func(a uint32)) {
	for _, v := range s.slots {
		if v != 0 {
			fn(v - 1)
		}
	}
	if s.hasMax {
		fn(^uint32(0))
	}
}

// reset empties the set and makes room for n addresses (no growing while
// they are added), reusing its memory when it is big enough.
func (s *addrSet) reset(n int) {
	size := addrSetMinSlots
	for 3*size < 4*n {
		size *= 2
	}
	s.n, s.hasMax = 0, false
	if cap(s.slots) < size {
		s.slots = nil
		s.rehash(size)
		return
	}
	s.slots = s.slots[:size]
	clear(s.slots)
	s.setShift()
}

// hash is the first slot to try for v (an address+1).
func (s *addrSet) hash(v uint32) uint32 {
	// murmur3's finaliser of the seeded value: every bit of the address
	// moves the top bits, which pick the slot.
	h := v ^ s.seed
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h >> s.shift
}

// rehash moves the addresses to a new table of size slots (a power of
// two).
func (s *addrSet) rehash(size int) {
	if s.seed == 0 {
		s.seed = rand.Uint32() | 1
	}
	old := s.slots
	s.slots = make([]uint32, size)
	s.setShift()
	mask := uint32(size - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := s.hash(v)
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = v
	}
}

// setShift sets shift for len(slots).
func (s *addrSet) setShift() { s.shift = uint(33 - bits.Len(uint(len(s.slots)))) }
