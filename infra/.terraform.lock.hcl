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

provider "registry.opentofu.org/hashicorp/random" {
  version     = "3.9.0"
  constraints = "~> 3.9"
  hashes = [
    "h1:14p+NLro2hm0+VrtrCbwD2P2Uuta2tMcRlbkxkz2DGY=",
    "h1:99zE9w4XweECNjcqaB/g7+ewQjAMMEqrPRFcrtqW8WQ=",
    "h1:FqCpoTISZvS1B6l+dwTePKOOdxJra8+/ME7wlypArZc=",
    "h1:vfVRHkwqdnkRhCpc9lUEmlGGD3QIHXR0iRyXULf14jA=",
  ]
}

provider "registry.opentofu.org/hashicorp/time" {
  version     = "0.14.2"
  constraints = "~> 0.14"
  hashes = [
    "h1:/TGWcjr6ealsySftBLKaLwb089DtyW8wVm4dprynInk=",
    "h1:9bOAnZXe+dHF0l5t+vaMyfJ3H/tIex60SQPpxFfRjBU=",
    "h1:dXHB80+wj+esRVovNwWtz3EU5nT5a4AQhxzxqc+H6iI=",
    "h1:wTPp98xAUYI3Vhv6yoVf27hBbhrkoqZ3OFhgPw1wrh4=",
  ]
}
