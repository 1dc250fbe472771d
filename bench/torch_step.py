"""The PyTorch training step that compare_training.py times and profile_torch_step.py profiles: forward, mean
cross-entropy, backward and plain SGD, float32, on a module in training mode."""
import torch


def sgd_step(net, x, y, lr=1e-3):
    """A function running one step of net on the batch (x, y)."""
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    lossf = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = lossf(net(x), y)
        loss.backward()
        opt.step()
    return step
