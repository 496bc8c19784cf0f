// This file holds the users: auth levels, seeding, keys and rotations.

package ecgridtest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuthLevel is a user's privilege level, one of the service's AuthLevel values.
// A higher value means more privilege: Root > TechOps > NetOps > NetworkAdmin >
// NetworkUser > MailboxAdmin > MailboxUser > TPUser > General. "NetworkAdmin or
// higher" (needed to read any key and to rotate another user's key) means Root,
// TechOps, NetOps and NetworkAdmin. The zero value is AuthLevelMailboxUser (also
// named AuthLevelUser), an ordinary user.
type AuthLevel int

// The service's AuthLevel values, in increasing privilege.
const (
	// AuthLevelGeneral is the lowest level.
	AuthLevelGeneral AuthLevel = iota - 2
	// AuthLevelTPUser is a trading-partner user.
	AuthLevelTPUser
	// AuthLevelMailboxUser is an ordinary mailbox user, the zero value.
	AuthLevelMailboxUser
	// AuthLevelMailboxAdmin administers a mailbox.
	AuthLevelMailboxAdmin
	// AuthLevelNetworkUser is a user of a network.
	AuthLevelNetworkUser
	// AuthLevelNetworkAdmin administers a network: the lowest level that may
	// read keys and rotate other users' keys.
	AuthLevelNetworkAdmin
	// AuthLevelNetOps is the service's network operations.
	AuthLevelNetOps
	// AuthLevelTechOps is the service's technical operations.
	AuthLevelTechOps
	// AuthLevelRoot is the highest level.
	AuthLevelRoot
)

// AuthLevelUser is an ordinary user, AuthLevelMailboxUser: it may rotate only its
// own key. (It is the name this package used before it knew every level.)
const AuthLevelUser = AuthLevelMailboxUser

// String returns the service's name of the level, such as "NetworkAdmin", or
// "AuthLevel(n)" for a value that is none of the constants.
func (l AuthLevel) String() string {
	switch l {
	case AuthLevelGeneral:
		return "General"
	case AuthLevelTPUser:
		return "TPUser"
	case AuthLevelMailboxUser:
		return "MailboxUser"
	case AuthLevelMailboxAdmin:
		return "MailboxAdmin"
	case AuthLevelNetworkUser:
		return "NetworkUser"
	case AuthLevelNetworkAdmin:
		return "NetworkAdmin"
	case AuthLevelNetOps:
		return "NetOps"
	case AuthLevelTechOps:
		return "TechOps"
	case AuthLevelRoot:
		return "Root"
	}
	return "AuthLevel(" + strconv.Itoa(int(l)) + ")"
}

// ParseAuthLevel returns the level named name (the service's name, such as
// "NetworkAdmin", matched case-insensitively), or an error naming the valid ones.
func ParseAuthLevel(name string) (AuthLevel, error) {
	for l := AuthLevelGeneral; l <= AuthLevelRoot; l++ {
		if strings.EqualFold(name, l.String()) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("unknown AuthLevel %q: want one of Root, TechOps, NetOps, NetworkAdmin, NetworkUser, MailboxAdmin, MailboxUser, TPUser, General", name)
}

// User is a user seeded into the fake. ID should be a positive 32-bit integer (the
// only IDs the APIs can address). An empty APIKey means a random GUID-shaped key is
// generated. Two users may not share a key, nor a Login.
//
// Login and Password let the user log in (REST POST /v2/auth/login, SOAP Login);
// a user without both cannot. Logins are matched case-insensitively, passwords
// exactly. Email, FirstName, LastName, NetworkID and MailboxID are answered by Get
// Me and WhoAmI.
//
// No encoding of a User reveals APIKey or Password: fmt (every verb), String,
// GoString, encoding/json, encoding/xml and log/slog show the key masked (its
// first 4 characters, for keys of 12 or more) and the password as "[redacted]".
type User struct {
	ID        int
	Level     AuthLevel
	APIKey    string
	Login     string
	Password  string
	Email     string
	FirstName string
	LastName  string
	NetworkID int
	MailboxID int
}

type userState struct {
	id        int
	level     AuthLevel
	key       string
	rotations int
	login     string
	password  string
	email     string
	firstName string
	lastName  string
	networkID int
	mailboxID int
	created   time.Time
}

// AddUser seeds a user (replacing any user with the same ID, whose rotation count
// restarts at 0; its sessions stay valid) and returns it with its key filled in.
// It panics if the key or the login already belongs to another user.
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
		u.APIKey = s.freshID(newKey)
	} else if owner, taken := s.keys[u.APIKey]; taken && owner != u.ID {
		return User{}, fmt.Errorf("user %d: API key already belongs to user %d", u.ID, owner)
	}
	if u.Login != "" {
		for _, other := range s.users {
			if other.id != u.ID && strings.EqualFold(other.login, u.Login) {
				return User{}, fmt.Errorf("user %d: login %q already belongs to user %d", u.ID, u.Login, other.id)
			}
		}
	}
	if old, ok := s.users[u.ID]; ok {
		delete(s.keys, old.key)
	}
	s.users[u.ID] = &userState{
		id: u.ID, level: u.Level, key: u.APIKey,
		login: u.Login, password: u.Password, email: u.Email,
		firstName: u.FirstName, lastName: u.LastName,
		networkID: u.NetworkID, mailboxID: u.MailboxID,
		created: s.now().UTC(),
	}
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
// including rotations performed by faults with Apply or DropAfterApply), and 0
// if there is no such user.
func (s *Server) Rotations(userID int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.users[userID]; ok {
		return u.rotations
	}
	return 0
}

// freshID returns a value drawn from gen (newKey, or a token maker) that is
// neither a current key nor a session ID, drawing again until it is. Requires
// s.mu held (or s not yet shared).
func (s *Server) freshID(gen func() string) string {
	for {
		id := gen()
		_, isKey := s.keys[id]
		_, isSession := s.sessions[id]
		if !isKey && !isSession {
			return id
		}
	}
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
