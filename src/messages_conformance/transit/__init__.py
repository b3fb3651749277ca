"""Transit mode's moving parts: the scripted upstream (a server mconf runs where a gateway's
Anthropic upstream would be), the scripts cases answer with, the legs it records, and the
processes of a transit run (upstream thread, reference proxy process). May import: core, net,
recordings; never the gateway (the proxy is started as its own process)."""
