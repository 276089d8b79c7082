package hookflow

import (
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Data lifecycle: the KMS key that encrypts stored payloads (Props.PayloadKey,
// Props.EncryptPayloads), and how long the runner keeps ended runs (Props.RetentionDays,
// Props.KeepRunsForever).

// maxRetentionDays is the longest RetentionDays, as workflow.ParseRetention (which reads
// HOOKFLOW_RETENTION) bounds "<n>d": a hundred years.
const maxRetentionDays = 36500

// retentionForever is HOOKFLOW_RETENTION's value for keeping ended runs for ever
// (workflow.KeepForever).
const retentionForever = "forever"

// retention returns the runner's HOOKFLOW_RETENTION, or "" to leave it unset (the
// runner's default, 30 days).
func (p Props) retention() string {
	switch {
	case isTrue(p.KeepRunsForever):
		return retentionForever
	case p.RetentionDays != nil:
		return strconv.Itoa(*p.RetentionDays) + "d"
	}
	return ""
}

// newPayloadKey returns the key that encrypts payloads: Props.PayloadKey, a key of its own
// when Props.EncryptPayloads asks for one, or nil (payloads are not encrypted).
func newPayloadKey(scope constructs.Construct, p Props) awskms.IKey {
	if p.PayloadKey != nil {
		return p.PayloadKey
	}
	if !isTrue(p.EncryptPayloads) {
		return nil
	}
	return awskms.NewKey(scope, jsii.String("PayloadKey"), &awskms.KeyProps{
		Description: jsii.String("hookflow: encrypts the data keys that encrypt stored workflow payloads (HOOKFLOW_KMS_KEY_ID)"),
		// GenerateDataKey needs a symmetric encryption key.
		KeySpec:           awskms.KeySpec_SYMMETRIC_DEFAULT,
		KeyUsage:          awskms.KeyUsage_ENCRYPT_DECRYPT,
		EnableKeyRotation: jsii.Bool(true),
		// The key policy stays the CDK's default, the account's root: the functions' roles
		// are granted by identity policies (grantPayloadKey), and no principal is named in
		// the key policy, let alone "*".
		//
		// RETAIN by default, as the table is: the runs in a retained table, and in its
		// point-in-time backups, are readable only with this key, and a deleted key cannot be
		// brought back once its waiting period is over. With RemovalPolicy DESTROY the table
		// goes with the stack, and KMS schedules the key's deletion (30 days' wait).
		RemovalPolicy: p.RemovalPolicy,
	})
}

// grantPayloadKey lets fns encrypt and decrypt payloads with key: GenerateDataKey and
// Decrypt on that key alone (payloadKeyActions). An identity policy rather than the key's
// grant methods, whose GrantEncryptDecrypt adds kms:Encrypt, kms:ReEncrypt* and more.
func grantPayloadKey(key awskms.IKey, fns ...awslambda.Function) {
	for _, fn := range fns {
		fn.AddToRolePolicy(allow(payloadKeyActions, key.KeyArn()))
	}
}
