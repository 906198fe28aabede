// Something in flight to an upstream that a timeout or a departed client can cut off: an
// HTTP/1.1 connection (closed) or an HTTP/2 stream (reset).
#pragma once

namespace nexus::proxy {

class Abortable {
 public:
  // Makes the pending upstream operation fail now; its owner sees the failure where it waits.
  virtual void abort() = 0;

 protected:
  ~Abortable() = default;
};

}  // namespace nexus::proxy
