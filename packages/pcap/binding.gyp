{
  "targets": [
    {
      "target_name": "pcap_binding",
      "sources": ["pcap_binding.cc", "pcap_session.cc", "lanlb_answer_session.cc"],
      "include_dirs": ["<!(node -e \"require('nan')\")"],
      "cflags_cc": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-cast-function-type"],
      "link_settings": {"libraries": ["-lpcap"]}
    }
  ]
}
