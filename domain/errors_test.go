package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/landrelease/landrelease/domain"
)

func TestErrorKindsAreMatchedWithErrorsIs(t *testing.T) {
	err := fmt.Errorf("handle: %w", domain.Errorf(domain.ErrConflict, "area_id", "already registered"))
	if !errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrInvalid) {
		t.Errorf("errors.Is misreads the kind of %v", err)
	}
	if domain.KindOf(err) != domain.ErrConflict {
		t.Errorf("KindOf = %v, want conflict", domain.KindOf(err))
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Field() != "area_id" {
		t.Errorf("the wrapped *domain.Error is lost")
	}
	if domain.KindOf(errors.New("disk full")) != domain.ErrInternal {
		t.Error("an error without a kind should be internal")
	}
	if domain.KindOf(fmt.Errorf("x: %w", domain.ErrNotFound)) != domain.ErrNotFound {
		t.Error("a bare Kind in the chain is its kind")
	}
}

func TestAnErrorWrapsItsCause(t *testing.T) {
	cause := errors.New("connection reset")
	err := &domain.Error{Op: "Append", Kind: domain.ErrInternal, Err: cause}
	if !errors.Is(err, cause) {
		t.Error("errors.Is does not reach the cause")
	}
	if (&domain.Error{Kind: domain.ErrInvalid}).Field() != "" {
		t.Error("an error without problems names no field")
	}
}

func TestNoProblemsIsNoError(t *testing.T) {
	var p domain.Problems
	if err := p.Err("CancelArea"); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
	p.Add("reason", "required")
	p.Add("on", "required")
	err := p.Err("CancelArea")
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Err() = %v, want ErrInvalid", err)
	}
	if got := problemFields(err); len(got) != 2 || got[0] != "reason" || got[1] != "on" {
		t.Errorf("problems on %v, want [reason on]", got)
	}
}
