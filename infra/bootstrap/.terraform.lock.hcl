# This file is maintained automatically by "tofu init".
# Manual edits may be lost in future updates.

provider "registry.opentofu.org/hashicorp/azurerm" {
  version     = "5.2.0"
  constraints = "~> 5.2"
  hashes = [
    "h1:AsLcoJcQwRp3kc/Yz/tOa/UtsS2G7Sv717rpTxWCNAo=",
    "h1:zZuATSJshuI9VcJEUKoLgbb/aEHpEj6e48jzh9rnvdc=",
  ]
}
