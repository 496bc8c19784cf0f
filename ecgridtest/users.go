// This file holds the users: auth levels, seeding, keys and rotations.

package ecgridtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// AuthLevel of a user. Higher value = more privilege.
type AuthLevel int

const (
	// AuthLevelUser is an ordinary user: it may act only on itself.
	AuthLevelUser AuthLevel = iota
	// AuthLevelNetworkAdmin may read and rotate other users' keys.
	AuthLevelNetworkAdmin
	// AuthLevelRoot is the highest level; it may do everything a NetworkAdmin may.
	AuthLevelRoot
)

// String returns the level's name.
func (l AuthLevel) String() string {
	switch l {
	case AuthLevelUser:
		return "User"
	case AuthLevelNetworkAdmin:
		return "NetworkAdmin"
	case AuthLevelRoot:
		return "Root"
	}
	return fmt.Sprintf("AuthLevel(%d)", int(l))
}

// User is a user seeded into the fake. ID should be a positive 32-bit integer (the
// only IDs the APIs can address). An empty APIKey means a random GUID-shaped key is
// generated. Two users may not share a key.
type User struct {
	ID     int
	Level  AuthLevel
	APIKey string
}

// String describes the user without revealing its key.
func (u User) String() string {
	return fmt.Sprintf("User{ID: %d, Level: %s, APIKey: %s}", u.ID, u.Level, mask(u.APIKey))
}

// GoString is like String, so that %#v does not reveal the key either.
func (u User) GoString() string { return "ecgridtest." + u.String() }

type userState struct {
	id        int
	level     AuthLevel
	key       string
	rotations int
}

// AddUser seeds a user (replacing any user with the same ID, whose rotation count
// restarts at 0) and returns it with its key filled in. It panics if the key is
// already another user's key.
func (s *Server) AddUser(u User) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, err := s.addUser(u)
	if err != nil {
		panic("ecgridtest: " + err.Error())
	}
	return u
}

// addUser requires s.mu held (or s not yet shared).
func (s *Server) addUser(u User) (User, error) {
	if u.APIKey == "" {
		for {
			u.APIKey = newKey()
			if _, taken := s.keys[u.APIKey]; !taken {
				break
			}
		}
	} else if owner, taken := s.keys[u.APIKey]; taken && owner != u.ID {
		return User{}, fmt.Errorf("user %d: API key already belongs to user %d", u.ID, owner)
	}
	if old, ok := s.users[u.ID]; ok {
		delete(s.keys, old.key)
	}
	s.users[u.ID] = &userState{id: u.ID, level: u.Level, key: u.APIKey}
	s.keys[u.APIKey] = u.ID
	return u, nil
}

// Key returns the user's current API key, and false if there is no such user.
func (s *Server) Key(userID int) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[userID]
	if !ok {
		return "", false
	}
	return u.key, true
}

// Rotations returns how many times the user's key was rotated (by either API,
// including rotations performed by faults with Apply or DropAfterApply).
func (s *Server) Rotations(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		return u.rotations
	}
	return 0
}

// newKey returns a random lowercase GUID-shaped key (version 4 layout).
func newKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("ecgridtest: crypto/rand: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
