"""The measurement's negative log-likelihood as compiled functions of a parameter vector.

zfit's loss methods (``value``, ``gradient``, ``hessian``) check their arguments and look
their compiled graph up on every call, and setting a parameter goes through zfit too: a
Newton step's line search, which sets every parameter and evaluates the loss several
times, spent most of a toy fit's time there (a value with its assignment ~2 ms, against
~0.6 ms compiled, on a loaded 2-core EPYC). :class:`CompiledNLL` traces the zfit loss
once per list of parameters into plain TensorFlow functions:

* :meth:`CompiledNLL.value_at`: assign a vector to the parameters, return ``-ln L``;
* :meth:`CompiledNLL.exact`: ``-ln L``, its gradient and its Hessian (automatic
  differentiation, the Hessian as the Jacobian of the gradient) in one call;
* :meth:`CompiledNLL.fisher`: ``-ln L``, its gradient and the expected Hessian (Fisher
  information) ``F = J^T diag(1 / nu) J + diag(1 / sigma^2)``, with ``J = d nu / d p``
  the Jacobian of the expected counts ``nu`` and ``sigma`` the prior width of a
  constrained parameter.

The loss is zfit's own (``loss.value()``, zfit's default ``full=True``), so every value
equals ``loss.value()`` at the same point; the data counts and the global observables are
TensorFlow variables that the graphs read, so new toys need no new trace.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


class CompiledNLL:
    """``-ln L`` of ``loss`` over ``params`` (a fixed list of zfit parameters).

    ``pdf``: the extended binned pdf whose ``counts()`` are the expected counts;
    ``prior_weight``: ``1 / sigma^2`` of each parameter's Gaussian constraint (0 for an
    unconstrained one), in the order of ``params``. Vectors and matrices are float64
    NumPy arrays in the order of ``params``.
    """

    def __init__(self, loss, pdf, params, prior_weight):
        self.params = list(params)
        self.prior_weight = np.asarray(prior_weight, np.float64)
        if self.prior_weight.shape != (len(self.params),):
            raise ValueError(
                f"prior_weight: {self.prior_weight.shape}, expected ({len(self.params)},)"
            )
        p = self.params
        zero = tf.UnconnectedGradients.ZERO

        @tf.function(autograph=False)
        def value_at(x):
            for k, q in enumerate(p):
                q.assign(x[k], read_value=False)
            return loss.value()

        @tf.function(autograph=False)
        def exact():
            with tf.GradientTape(watch_accessed_variables=False) as outer:
                outer.watch(p)
                with tf.GradientTape(watch_accessed_variables=False) as inner:
                    inner.watch(p)
                    f = loss.value()
                g = tf.stack(inner.gradient(f, p, unconnected_gradients=zero))
            h = tf.stack(outer.jacobian(g, p, unconnected_gradients=zero), axis=1)
            return f, g, h

        @tf.function(autograph=False)
        def fisher():
            with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
                tape.watch(p)
                nu = pdf.counts()
                f = loss.value()
            g = tf.stack(tape.gradient(f, p, unconnected_gradients=zero))
            jac = tf.stack(tape.jacobian(nu, p, unconnected_gradients=zero), axis=1)
            return f, g, jac, nu

        self._value_at, self._exact, self._fisher = value_at, exact, fisher

    def value_at(self, x) -> float:
        """Set the parameters to ``x`` (inside their limits: not checked here) and return
        ``-ln L`` there."""
        return float(self._value_at(tf.constant(np.asarray(x, np.float64))))

    def exact(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(-ln L, gradient, Hessian)`` at the current values."""
        f, g, h = self._exact()
        return float(f), np.asarray(g, np.float64), np.asarray(h, np.float64)

    def fisher(self) -> tuple[float, np.ndarray, np.ndarray]:
        """``(-ln L, gradient, Fisher information)`` at the current values."""
        f, g, jac, nu = self._fisher()
        jac, nu = np.asarray(jac, np.float64), np.asarray(nu, np.float64)
        info = jac.T @ (jac / nu[:, None]) + np.diag(self.prior_weight)
        return float(f), np.asarray(g, np.float64), info
