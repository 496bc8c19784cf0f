// Package wire is the HTTP plumbing the REST and SOAP transports share: the
// evidence of whether a request left, bounded body reads, the check of their
// endpoint URL, the HTTP client they send with, and the checks and escaping
// of text that crosses the wire.
// It holds no ECGrid vocabulary: kinds and outcomes are decided by package
// ecgrid from the facts the transports report.
package wire
