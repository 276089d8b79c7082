package codec_test

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow/pkg/codec"
)

func ExampleNew() {
	// In a deployment the keyring comes from the environment, e.g.
	// HOOKFLOW_LOCAL_KEYS="k2:<base64 key>,k1:<base64 key>", the first one encrypting.
	k1, _ := codec.GenerateLocalKey()
	keys, err := codec.ParseLocalKeys("k1:" + k1)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := codec.New(codec.Options{Compress: true, Keys: keys})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	stored, _ := c.Encode(ctx, []byte(`{"card":"4242 4242 4242 4242"}`))
	fmt.Println("encoded:", codec.IsEncoded(stored))
	plain, _ := c.Decode(ctx, stored)
	fmt.Println("decoded:", string(plain))

	// Values stored before the codec was turned on read as they are.
	legacy, _ := c.Decode(ctx, []byte(`{"legacy":true}`))
	fmt.Println("legacy:", string(legacy))
	// Output:
	// encoded: true
	// decoded: {"card":"4242 4242 4242 4242"}
	// legacy: {"legacy":true}
}
