"""mailbox-org-dns: publish every domain listed under `mailbox-org-dns:domains` in the stack config."""
import pulumi

from mbo_component.stack import build

build(pulumi.Config().require_object("domains"))
