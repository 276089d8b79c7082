package codec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/hookflow/hookflow/pkg/backend"
)

// KMSAPI is the part of the AWS KMS client that KMSKeys uses. *kms.Client implements it;
// tests give a fake.
type KMSAPI interface {
	GenerateDataKey(ctx context.Context, params *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, params *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

// Defaults of KMSOptions.
const (
	DefaultKMSTTL       = 5 * time.Minute
	DefaultKMSMaxUses   = 100_000
	DefaultKMSCacheSize = 1_000
)

// KMSOptions configure KMSKeys. KeyID is required; every other field has a documented
// default.
type KMSOptions struct {
	// KeyID names the KMS key that makes new data keys: a key ID, key ARN, alias name
	// ("alias/hookflow") or alias ARN. Rotating to another key only needs a new KeyID: data
	// keys of the old one still decrypt, as long as the old key is enabled.
	KeyID string
	// TTL is how long a data key from GenerateDataKey encrypts, and how long a decrypted
	// data key stays cached. Default: DefaultKMSTTL (5 min).
	TTL time.Duration
	// MaxUses is how many values one data key encrypts at most before a new one is made.
	// Default: DefaultKMSMaxUses (100,000).
	MaxUses int
	// CacheSize is how many decrypted data keys are cached, the least recently used
	// going first. Default: DefaultKMSCacheSize (1,000).
	CacheSize int
	// EncryptionContext, when set, is passed to GenerateDataKey and Decrypt: KMS binds the
	// data keys to it (and logs it in CloudTrail), so every reader must pass the same one.
	// Default: none.
	EncryptionContext map[string]string
	// Clock tells the time for TTL. Default: backend.SystemClock{}.
	Clock backend.Clock
}

// WithDefaults returns o with every unset field set to its default.
func (o KMSOptions) WithDefaults() KMSOptions {
	o.TTL = cmp.Or(o.TTL, DefaultKMSTTL)
	o.MaxUses = cmp.Or(o.MaxUses, DefaultKMSMaxUses)
	o.CacheSize = cmp.Or(o.CacheSize, DefaultKMSCacheSize)
	if o.Clock == nil {
		o.Clock = backend.SystemClock{}
	}
	return o
}

// validate reports every problem of o at once.
func (o KMSOptions) validate() error {
	var errs []error
	if o.KeyID == "" {
		errs = append(errs, errors.New("codec: KMSOptions.KeyID is required"))
	}
	if o.TTL < 0 {
		errs = append(errs, fmt.Errorf("codec: KMSOptions.TTL %v is negative", o.TTL))
	}
	if o.MaxUses < 0 {
		errs = append(errs, fmt.Errorf("codec: KMSOptions.MaxUses %d is negative", o.MaxUses))
	}
	if o.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("codec: KMSOptions.CacheSize %d is negative", o.CacheSize))
	}
	return errors.Join(errs...)
}
