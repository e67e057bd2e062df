// compose-check loads a Compose file with compose-go, the parser docker compose itself uses,
// validating it against the Compose specification, and prints the services it defines.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <docker-compose.yml>")
		os.Exit(2)
	}
	opts, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithDotEnv, cli.WithName("vibeopt"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		svc := project.Services[name]
		gpus := 0
		if svc.Deploy != nil && svc.Deploy.Resources.Reservations != nil {
			gpus = len(svc.Deploy.Resources.Reservations.Devices)
		}
		fmt.Printf("%s image=%q build=%v gpu_reservations=%d volumes=%d\n", name, svc.Image, svc.Build != nil, gpus, len(svc.Volumes))
	}
}
