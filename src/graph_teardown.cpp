// Freeing a graph without recursion: Node's destructor. Dropping a node drops its inputs, whose
// nodes drop theirs, and so on; done by plain destructors that recursion is as deep as the graph,
// and a learner's 100,000-op scalar chain overflows the stack. Here the nodes that die with their
// last owner are moved onto an explicit stack and emptied one at a time.
#include "minigrad/autograd.hpp"

namespace minigrad {

Node::~Node() {
  std::vector<std::shared_ptr<Node>> pending;
  auto harvest = [&pending](Node& n) {
    n.backward_ = nullptr;  // the closure's copies of the inputs go first
    for (size_t i = 0; i < n.inputs_.size(); ++i) {
      TensorImpl* impl = n.inputs_[i].impl();
      if (impl == nullptr || !impl->grad_fn || impl->grad_fn.use_count() != 1) continue;
      // The input dies with this node if every handle to it is one of this node's inputs
      // (y + y holds y twice).
      long held_here = 0;
      for (const Tensor& t : n.inputs_) held_here += t.impl() == impl ? 1 : 0;
      if (n.inputs_[i].impl_ptr().use_count() == held_here)
        pending.push_back(std::move(impl->grad_fn));  // later copies now see no grad_fn
    }
    n.inputs_.clear();
  };
  harvest(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    harvest(*n);
  }  // each n now dies with nothing left to recurse into
}

}  // namespace minigrad
